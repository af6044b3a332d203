#!/usr/bin/env bash
# Build a bootable ISO (GRUB, BIOS) holding the kernel and GRUB modules.
#
#   iso/mkiso.sh OUT.iso "KERNEL_CMDLINE" [MODULE_PATH "MODULE_CMDLINE"]...
#
# The kernel is $KERNEL (default build/kernel.elf). Each module is copied
# into the image as /boot/mods/<n>-<basename> and loaded with
# "module2 /boot/mods/<n>-<basename> MODULE_CMDLINE". Cheap enough for
# the harness to make one image per test variant.
set -eu

if [ $# -lt 2 ] || [ $(( ($# - 2) % 2 )) -ne 0 ]; then
	echo "usage: $0 OUT.iso \"KERNEL_CMDLINE\" [MODULE_PATH \"MODULE_CMDLINE\"]..." >&2
	exit 2
fi

# grub_quote "words...": each word as ' 'word'' for a GRUB command line.
grub_quote() {
	local w out="" words=()
	# read -a splits at whitespace without pathname expansion.
	read -ra words <<< "$1" || true
	for w in "${words[@]}"; do
		out+=" '${w//\'/\'\\\'\'}'"
	done
	printf '%s' "$out"
}

here=$(cd "$(dirname "$0")" && pwd)
out=$1
cmdline=$2
shift 2
kernel=${KERNEL:-build/kernel.elf}

if [ ! -f "$kernel" ]; then
	echo "mkiso: kernel '$kernel' not found (run make first)" >&2
	exit 1
fi

stage=$(mktemp -d "${TMPDIR:-/tmp}/mkiso.XXXXXX")
# The log lives outside the staged tree: inside, xorriso would pack it
# while it grows and fail ("Size of file ... has changed").
mklog=$(mktemp "${TMPDIR:-/tmp}/mkiso-log.XXXXXX")
trap 'rm -rf "$stage" "$mklog"' EXIT INT TERM
mkdir -p "$stage/boot/grub" "$stage/boot/mods"
cp "$kernel" "$stage/boot/kernel.elf"

mods=""
n=0
while [ $# -gt 0 ]; do
	path=$1
	mcmd=$2
	shift 2
	if [ ! -f "$path" ]; then
		echo "mkiso: module '$path' not found" >&2
		exit 1
	fi
	name="$n-$(basename "$path")"
	cp "$path" "$stage/boot/mods/$name"
	mods="$mods	module2 /boot/mods/$name$(grub_quote "$mcmd")
"
	n=$((n + 1))
done

# Substitute with awk so command lines may contain '/', '&' and '|'.
CMDLINE=$(grub_quote "$cmdline") MODULES="$mods" awk '
	/^@MODULES@$/ { printf "%s", ENVIRON["MODULES"]; next }
	(i = index($0, "@CMDLINE@")) > 0 {
		$0 = substr($0, 1, i - 1) ENVIRON["CMDLINE"] substr($0, i + 9)
	}
	{ print }
' "$here/grub.cfg.in" > "$stage/boot/grub/grub.cfg"

mkdir -p "$(dirname "$out")"
# grub-mkrescue adds every platform whose GRUB modules are installed.
[ -d /usr/lib/grub/x86_64-efi ] ||
	echo "mkiso: no /usr/lib/grub/x86_64-efi (grub-efi-amd64-bin): $out boots by BIOS only" >&2
if ! grub-mkrescue -o "$out" "$stage" >"$mklog" 2>&1; then
	cat "$mklog" >&2
	echo "mkiso: grub-mkrescue failed" >&2
	exit 1
fi
