#!/usr/bin/env bash
# Write the boot-test module: SIZE bytes from a fixed pseudo-random
# sequence (Park-Miller "minimal standard" LCG, seed 20260101), so the file
# is the same on every machine and needs no tool beyond awk. Prints the
# module command line the kernel verifies: "testmod crc32=XXXXXXXX size=N".
#
# The checksum is the ordinary CRC-32 of zlib/gzip/Ethernet (reflected
# polynomial 0xEDB88320, initial value and final XOR 0xFFFFFFFF); we read it
# from the gzip trailer rather than implement it a second time here.
#
# usage: mktestmod.sh OUT [SIZE] [garble]
#   garble: flip one byte after computing the checksum, so the kernel must
#   report a mismatch (bad-input boot).
set -euo pipefail

out=$1
size=${2:-65537}	# odd on purpose: the last page is partial
garble=${3:-}

mkdir -p "$(dirname "$out")"
# x*48271 < 2^47, so mawk's doubles compute the recurrence exactly.
LC_ALL=C awk -v n="$size" 'BEGIN {
	x = 20260101
	for (i = 0; i < n; i++) {
		x = (x * 48271) % 2147483647
		printf "%c", int(x / 8388608) % 256
	}
}' > "$out"

actual=$(stat -c %s "$out")
if [ "$actual" != "$size" ]; then
	echo "mktestmod: wrote $actual bytes, wanted $size" >&2
	exit 1
fi

# gzip's trailer is CRC-32 then ISIZE, both little-endian; od -tx4 reads
# host order, which is little-endian on every machine that runs this.
crc=$(gzip -c -n "$out" | tail -c 8 | od -An -tx4 -N4 | tr -d ' \n')

if [ -n "$garble" ]; then
	# Flip the byte in the middle of the file: the checksum no longer fits.
	off=$((size / 2))
	byte=$(od -An -tu1 -j "$off" -N1 "$out" | tr -d ' ')
	printf "$(printf '\\%03o' $(( (byte ^ 0xff) & 0xff )))" |
		dd of="$out" bs=1 seek="$off" conv=notrunc status=none
fi

printf 'testmod crc32=%s size=%s\n' "$crc" "$size"
