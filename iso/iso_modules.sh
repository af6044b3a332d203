#!/usr/bin/env bash
# make iso's helper: build an ISO from a MODULES string of the form
#
#   "PATH:CMDLINE WORDS... PATH2:CMDLINE WORDS..."
#
# A word "PATH:..." whose PATH names an existing file starts a module; the
# words after it, up to the next such word, are that module's command line
# (so "build/guests/hello.elf:name=hello mem=2M" is one module with the
# line "name=hello mem=2M"). Then iso/mkiso.sh does the work.
#
#   iso/iso_modules.sh OUT.iso "KERNEL_CMDLINE" "MODULES"
#   iso/iso_modules.sh --split "MODULES"   print PATH and CMDLINE of each
#                                          module, each ending in a NUL
#                                          (make run's GUESTS= uses it)
set -eu
split_only=
if [ $# -eq 2 ] && [ "$1" = --split ]; then
	split_only=1
	set -- "" "" "$2"
elif [ $# -ne 3 ]; then
	echo "usage: $0 OUT.iso \"KERNEL_CMDLINE\" \"PATH:CMDLINE ...\"" >&2
	echo "       $0 --split \"PATH:CMDLINE ...\"" >&2
	exit 2
fi
out=$1 cmdline=$2
args=()
path="" line=""
read -ra words <<< "$3" || true
for w in "${words[@]}"; do
	if [[ $w == *:* ]] && [ -f "${w%%:*}" ]; then
		[ -n "$path" ] && args+=("$path" "$line")
		path=${w%%:*} line=${w#*:}
	elif [ -n "$path" ]; then
		line+=" $w"
	else
		echo "iso_modules: '$w' is not PATH:CMDLINE with an existing PATH" >&2
		exit 1
	fi
done
[ -n "$path" ] && args+=("$path" "$line")
if [ -n "$split_only" ]; then
	[ ${#args[@]} -eq 0 ] || printf '%s\0' "${args[@]}"
	exit 0
fi
exec "$(dirname "$0")/mkiso.sh" "$out" "$cmdline" "${args[@]}"
