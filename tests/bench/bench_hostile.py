"""Hostile-shape benchmark: a million goroutines with a million distinct stacks vs a normal trace.

Not a unit test (issue 8 item 3: "stays within 2x the memory of a normal trace of its size;
time linear in file size" is measured here, not asserted in CI). Two traces written by a
real Go program (embedded below, built with the Go 1.27.3 toolchain like testdata/gen, kept
outside the repo in ``$GOROSCOPE_CACHE/hostile/``):

* ``stacks-<N>.trace`` — N goroutines in waves of 4096, each blocking once at a distinct
  stack (a 20-deep recursion through ``a``/``b`` chosen by the bits of its number), so N
  goroutines and N distinct stacks (N = 2^20 by default, ≈ 220 MB; 2^19 for the slope);
* ``normal-<MB>.trace`` — the same size: 8 workers doing channel ping-pong at one
  20-deep stack (the same kinds of events; 16 goroutines, a handful of stacks).

Each measurement runs in its own subprocess (peak RSS from ``wait4``): ``stats``
(``goroscope.stats``), ``open`` (``goroscope.open``, kept to the end, a few stacks resolved
after the pass), ``model`` (the GUI's TraceSession: index + timeline model, kept to the
end) and ``summary`` (``goroscope.analysis.summary``), and Go's ``tracecount -json`` on the
same file in the same run. Reported: seconds, MB/s, peak RSS, RSS/file, the load average
at each measurement, the hostile/normal memory ratios, and linearity: seconds per MB of
the full-size trace over the half-size one, for the normal and the many-stacks shape,
ours beside tracecount's (1.0 = linear). ``--damaged`` adds the normal trace's first
generation alone vs the same with half of its second generation after it (a truncated
trace): the damaged file is read by the pure-Python reference reader from its start.

Usage::

    .venv/bin/python tests/bench/bench_hostile.py [--n 1048576]
        [--what stats,open,model,summary] [--damaged] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("GOROSCOPE_CACHE", Path.home() / ".cache" / "goroscope"))
GO = CACHE / "go" / "go1.27.3" / "go" / "bin" / "go"
TRACECOUNT = CACHE / "go" / "go1.27.3" / "go" / "bin" / "tracecount"
OUT = CACHE / "hostile"

GO_SOURCE = r"""
// hostilegen: a trace of N goroutines blocking at N distinct stacks, or a normal one.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime/trace"
	"sync"
	"sync/atomic"
)

type counter struct {
	f *os.File
	n atomic.Int64
}

func (c *counter) Write(p []byte) (int, error) {
	c.n.Add(int64(len(p)))
	return c.f.Write(p)
}

const depth = 20

//go:noinline
func a(i uint32, d int, leaf func()) {
	if d == 0 {
		leaf()
		return
	}
	if i&1 == 0 {
		a(i>>1, d-1, leaf)
	} else {
		b(i>>1, d-1, leaf)
	}
}

//go:noinline
func b(i uint32, d int, leaf func()) {
	if d == 0 {
		leaf()
		return
	}
	if i&1 == 0 {
		a(i>>1, d-1, leaf)
	} else {
		b(i>>1, d-1, leaf)
	}
}

func main() {
	mode := flag.String("mode", "stacks", "stacks or normal")
	n := flag.Uint("n", 1<<depth, "stacks: goroutines (distinct stacks), at most 2^20")
	mb := flag.Int64("mb", 100, "normal: trace size in MB")
	out := flag.String("o", "hostile.trace", "output")
	flag.Parse()
	f, err := os.Create(*out)
	if err != nil {
		panic(err)
	}
	w := &counter{f: f}
	if err := trace.Start(w); err != nil {
		panic(err)
	}
	var made uint32
	switch *mode {
	case "stacks":
		const wave = 4096
		for made < uint32(*n) {
			var ready, done sync.WaitGroup
			ch := make(chan struct{})
			for k := 0; k < wave && made < uint32(*n); k++ {
				ready.Add(1)
				done.Add(1)
				go func(i uint32) {
					defer done.Done()
					a(i, depth, func() { ready.Done(); <-ch })
				}(made)
				made++
			}
			ready.Wait()
			close(ch)
			done.Wait()
		}
	case "normal":
		for w.n.Load() < *mb<<20 {
			var wg sync.WaitGroup
			for k := 0; k < 8; k++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ping, pong := make(chan struct{}), make(chan struct{})
					go func() {
						for range ping {
							pong <- struct{}{}
						}
					}()
					a(0, depth, func() {
						for j := 0; j < 20000; j++ {
							ping <- struct{}{}
							<-pong
						}
					})
					close(ping)
				}()
			}
			wg.Wait()
			made += 8
		}
	}
	trace.Stop()
	f.Close()
	fmt.Println(*mode, made, w.n.Load())
}
"""


def _build() -> Path:
    exe = OUT / "hostilegen"
    if exe.exists():
        return exe
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "go.mod").write_text("module hostilegen\n\ngo 1.22\n")
        (Path(d) / "main.go").write_text(GO_SOURCE)
        env = dict(os.environ, GOPROXY="off", GOFLAGS="-mod=mod", GOTOOLCHAIN="local")
        subprocess.run([str(GO), "build", "-trimpath", "-o", str(exe), "."], cwd=d, env=env, check=True)  # fmt: skip
    return exe


def make_traces(n: int) -> tuple[Path, Path]:
    """(stacks trace of n goroutines, normal trace of about its size), made once."""
    exe = _build()
    stacks = OUT / f"stacks-{n}.trace"
    if not stacks.exists():
        subprocess.run([str(exe), "-mode", "stacks", "-n", str(n), "-o", f"{stacks}.tmp"], check=True)  # fmt: skip
        os.replace(f"{stacks}.tmp", stacks)
    size = stacks.stat().st_size
    mb = max(1, size >> 20)
    normal = OUT / f"normal-{mb}.trace"
    if not normal.exists() or abs(normal.stat().st_size - size) > size // 20:
        # "a normal trace of its size": within 5 % (a smaller one flattered the ratios).
        # The writer's count lags (generations flush late): aim a little low.
        subprocess.run([str(exe), "-mode", "normal", "-mb", str(int(mb * 0.975)), "-o", f"{normal}.tmp"], check=True)  # fmt: skip
        os.replace(f"{normal}.tmp", normal)
    return stacks, normal


CHILD = r"""
import json, sys, time
what, path = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
out = {}
if what == "stats":
    import goroscope
    s = goroscope.stats(path)
    out = {"events": s.get("events"), "goroutines": s.get("goroutines"), "error": s.get("error")}
elif what == "model":
    from goroscope.jobs.executor import ImmediateExecutor
    from goroscope.jobs.session import TraceSession
    s = TraceSession(path, ImmediateExecutor())
    s.start()
    if s.error is not None:
        raise s.error
    out = {"goroutines": s.timeline.n_goroutines, "spans": s.timeline.n_spans}
elif what == "open":
    import goroscope
    t = goroscope.open(path)
    g = t.goroutines
    # one stack per generation resolved after the pass (re-decoded on demand)
    fr = [t.stack(int(g.start_stack_id[i]), int(g.start_gen_idx[i]))
          for i in range(0, len(g), max(1, len(g) // 8)) if g.start_gen_idx[i] >= 0]
    out = {"goroutines": len(g), "named": int((g.start_func >= 0).sum()),
           "frames": sum(len(f) for f in fr)}
elif what == "summary":
    from goroscope.analysis.summary import summary
    s = summary(path)
    out = {"goroutines": s.get("goroutines"), "error": s.get("error")}
elif what == "stacks":
    from goroscope.format import TraceFile, index_trace
    from goroscope.format.decode import decode_generation
    with TraceFile(path) as tf:
        ix = index_trace(tf)
        out = {"stack_entries": sum(len(decode_generation(tf, ix, g, events=False).stacks.ids)
                                    for g in range(len(ix.generations))),
               "generations": len(ix.generations)}
out["seconds"] = time.perf_counter() - t0
print(json.dumps(out))
"""


def make_cut(normal: Path) -> tuple[Path, Path]:
    """(the normal trace's first generation alone, the same plus half of its second one):
    the cost of a damaged (truncated) trace against its intact part."""
    sys.path.insert(0, str(ROOT))
    from tests.hostile.harness import generations, walk_batches

    data = normal.read_bytes()
    g = generations(walk_batches(data))
    intact, cut = OUT / "normal-gen1.trace", OUT / "normal-gen1-cut.trace"
    intact.write_bytes(data[: g[0][1]])
    cut.write_bytes(data[: g[1][0] + (g[1][1] - g[1][0]) // 2])
    return intact, cut


def measure(what: str, path: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "app"))
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    if what == "tracecount":  # Go's reader (internal/trace) on the same file
        cmd = [str(TRACECOUNT), "-json", str(path)]
    else:
        cmd = [sys.executable, "-c", CHILD, what, str(path)]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, env=env)
    out = p.stdout.read()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        return {"what": what, "trace": path.name, "error": f"exit {p.returncode}"}
    if what == "tracecount":
        tc = json.loads(out.decode())
        r = {"events": tc.get("events"), "goroutines": tc.get("goroutines"), "seconds": wall}
    else:
        r = json.loads(out.decode().strip().splitlines()[-1])
    size = path.stat().st_size
    r.update(
        what=what,
        trace=path.name,
        mb=round(size / 2**20, 1),
        peak_rss_mb=ru.ru_maxrss >> 10,
        rss_per_file=round((ru.ru_maxrss << 10) / size, 2),
        mb_per_s=round(size / 2**20 / r["seconds"], 1),
        load=round(max(load, os.getloadavg()[0]), 1),
    )
    return r


def _warm() -> None:
    tiny = ROOT / "testdata" / "traces" / "go1.26" / "cpuprofile.trace"
    for what in ("stats", "open", "model", "summary"):
        measure(what, tiny)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1 << 20, help="goroutines = distinct stacks")
    ap.add_argument("--what", default="stats,open,model,summary")
    ap.add_argument("--json", action="store_true")
    ap.add_argument(
        "--damaged",
        action="store_true",
        help="also a truncated trace vs its intact part (minutes: the reader's fallback)",
    )
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    stacks, normal = make_traces(args.n)
    half, half_normal = make_traces(args.n // 2)
    _warm()
    rows: list[dict] = []

    def run(what: str, p: Path) -> None:
        r = measure(what, p)
        rows.append(r)
        if not args.json:
            print(json.dumps(r), flush=True)

    whats = [*args.what.split(","), "tracecount"]
    traces = (stacks, normal, half, half_normal)
    for what in whats:  # each of ours beside Go's on the same four files
        for p in traces:
            run(what, p)
    if args.damaged:
        for p in make_cut(normal):
            for what in ("stats", "model"):
                run(what, p)
    if args.json:
        print(json.dumps(rows, indent=1))
    else:
        by = {(r["what"], r.get("trace")): r for r in rows}

        def spm(what: str, p: Path) -> float | None:
            r = by.get((what, p.name), {})
            return r["seconds"] / r["mb"] if "seconds" in r else None

        tc = {p: spm("tracecount", p) for p in traces}
        for what in whats:
            h, n = by.get((what, stacks.name), {}), by.get((what, normal.name), {})
            if "peak_rss_mb" not in h or "peak_rss_mb" not in n:
                continue
            s = {p: spm(what, p) for p in traces}
            line = (
                f"{what:10} peak RSS hostile/normal {h['peak_rss_mb'] / n['peak_rss_mb']:.2f}x "
                f"({h['peak_rss_mb']} vs {n['peak_rss_mb']} MB; half-size "
                f"{by[(what, half.name)]['peak_rss_mb']} vs {by[(what, half_normal.name)]['peak_rss_mb']}); "
                f"s/MB full/half: normal {s[normal]:.3f}/{s[half_normal]:.3f} = "
                f"{s[normal] / s[half_normal]:.2f}, stacks {s[stacks]:.3f}/{s[half]:.3f} = "
                f"{s[stacks] / s[half]:.2f}"
            )  # fmt: skip
            if what != "tracecount" and all(tc.values()):
                line += "; vs tracecount s/MB: " + ", ".join(
                    f"{p.stem} {s[p] / tc[p]:.2f}x" for p in traces
                )
            print(line)
    la = os.getloadavg()
    print(f"total {time.perf_counter() - t0:.0f} s; load average now {la[0]:.1f} {la[1]:.1f} "
          f"{la[2]:.1f} (shared 2-core machine)", file=sys.stderr)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
