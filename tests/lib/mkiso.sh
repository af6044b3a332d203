#!/usr/bin/env bash
# Build a bootable ISO variant for the boot tests:
#   mkiso.sh OUT.iso "KERNEL_CMDLINE" [module_path "module_cmdline"]...
# Same interface as the kernel engineer's iso/mkiso.sh; the harness uses
# theirs when it exists and this one only as a fallback. KERNEL (default
# build/kernel.elf) names the kernel image.
#
# Every command-line word is single-quoted in grub.cfg so GRUB's script
# parser passes '*' and other metacharacters through untouched (ktest=...).
set -euo pipefail

if [ $# -lt 2 ] || [ $(( ($# - 2) % 2 )) -ne 0 ]; then
	echo "usage: $0 OUT.iso \"KERNEL_CMDLINE\" [module_path \"module_cmdline\"]..." >&2
	exit 2
fi

out=$1
cmdline=$2
shift 2
kernel=${KERNEL:-build/kernel.elf}

[ -f "$kernel" ] || { echo "mkiso: no kernel at $kernel" >&2; exit 1; }

# Quote each whitespace-separated word for GRUB: 'word', with any ' inside
# written as '\'' exactly as in a POSIX shell.
grub_quote() {
	local w out="" words
	# read -a splits without pathname expansion (unlike an unquoted $1).
	read -ra words <<< "$1"
	for w in "${words[@]}"; do
		out+=" '${w//\'/\'\\\'\'}'"
	done
	printf '%s' "$out"
}

dir=$(mktemp -d "${TMPDIR:-/tmp}/mkiso.XXXXXX")
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/boot/grub"
cp "$kernel" "$dir/boot/kernel.elf"

{
	echo "serial --unit=0 --speed=115200"
	echo "terminal_input serial"
	echo "terminal_output serial"
	echo "set timeout=0"
	echo "menuentry 'microhv' {"
	echo "	multiboot2 /boot/kernel.elf$(grub_quote "$cmdline")"
	i=0
	while [ $# -gt 0 ]; do
		cp "$1" "$dir/boot/mod$i"
		echo "	module2 /boot/mod$i$(grub_quote "$2")"
		i=$((i + 1))
		shift 2
	done
	echo "	boot"
	echo "}"
} > "$dir/boot/grub/grub.cfg"

mkdir -p "$(dirname "$out")"
# grub-mkrescue is chatty on success; keep its output only for failures.
if ! log=$(grub-mkrescue -o "$out" "$dir" 2>&1); then
	printf '%s\n' "$log" >&2
	exit 1
fi
