"""Old-format (Go 1.21) benchmark: ``goroscope stats`` beside ``tracecount -json`` (issue 7).

Not a unit test. Each measurement runs in its own subprocess so its peak RSS
(``wait4`` ru_maxrss) and CPU time (user + sys) are its own; wall time is reported
too (and the CPU time of ``stats`` alone, without the interpreter start and the
warm-up), but the machine is shared (label the figures "shared load"): compare within
one run. Go's old-format reader holds the whole trace; ours streams it (HACKING.md
§ Old format (v1), "Streaming"). The peak is split into anonymous and file-backed
RSS (``/proc/PID/status`` sampled every 20 ms: the mapped trace and the shared
libraries are file-backed), and our baseline (interpreter, numpy, numba and the
kernels loaded, before ``stats``) is printed beside it. The semantic keys of our
result are checked equal to tracecount's ``-json -v`` output (written by
testdata/gen/big_trace_v1.sh).

Usage::

    .venv/bin/python tests/bench/bench_v1.py [--trace FILE] [--repeat 1]

Without ``--trace``: the largest ``$GOROSCOPE_CACHE/big/big-v1-*mb.trace``
(``bash testdata/gen/big_trace_v1.sh -s 150``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("GOROSCOPE_CACHE", Path.home() / ".cache" / "goroscope"))
TRACECOUNT = CACHE / "go" / "go1.27.3" / "go" / "bin" / "tracecount"

OURS = """
import json, resource, sys, time
from goroscope.model.order import warm_up
from goroscope.model._v1convert import V1Chunks, read_v1
t = time.perf_counter()
warm_up()
read_v1(open(sys.argv[2], "rb").read())  # every v1 kernel once (JIT cache load)
list(V1Chunks(open(sys.argv[2], "rb").read(), chunk_events=100))  # and the streaming ones
warm = time.perf_counter() - t
base = {l.split(":")[0]: int(l.split()[1]) * 1024 for l in open("/proc/self/status")
        if l.startswith(("VmRSS", "RssAnon", "RssFile"))}
from goroscope.model.stats import stats
ru = resource.getrusage(resource.RUSAGE_SELF)
t = time.perf_counter()
s = stats(sys.argv[1])
s["_wall"] = time.perf_counter() - t
r1 = resource.getrusage(resource.RUSAGE_SELF)
s["_cpu"] = r1.ru_utime - ru.ru_utime + r1.ru_stime - ru.ru_stime
s["_warm"] = warm
s["_base"] = base
print(json.dumps(s))
"""


def run(cmd: list[str]) -> tuple[str, float, float, int, dict]:
    """(stdout, wall s, cpu s, peak RSS bytes, peak RssAnon/RssFile bytes) of ``cmd`` alone."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = {"RssAnon": 0, "RssFile": 0}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            try:
                with open(f"/proc/{p.pid}/status") as f:
                    for line in f:
                        k = line.split(":")[0]
                        if k in peak:
                            peak[k] = max(peak[k], int(line.split()[1]) * 1024)
            except (OSError, ValueError, IndexError):
                pass
            done.wait(0.02)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    out = p.stdout.read()
    err = p.stderr.read()
    done.set()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"{cmd[0]} failed: {err[-2000:]}")
    return out, wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss * 1024, peak


def default_trace() -> Path:
    found = sorted((CACHE / "big").glob("big-v1-*mb.trace"), key=lambda p: p.stat().st_size)
    if not found:
        raise SystemExit("no big v1 trace: bash testdata/gen/big_trace_v1.sh")
    return found[-1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trace", type=Path, default=None)
    ap.add_argument("--repeat", type=int, default=1)
    a = ap.parse_args()
    trace = a.trace or default_trace()
    size = trace.stat().st_size
    small = ROOT / "testdata/traces/go1.21/cgo.trace"
    want = json.loads(Path(str(trace) + ".counts.json").read_text())
    print(f"{trace.name}: {size / 1e6:.1f} MB, {want['events']:,} events (shared load)")
    env_py = [sys.executable, "-c", OURS, str(trace), str(small)]
    for i in range(a.repeat):
        load = os.getloadavg()[0]
        _, gw, gc, gr, gp = run([str(TRACECOUNT), "-json", str(trace)])
        out, ow, oc, orr, op = run(env_py)
        got = json.loads(out.strip().splitlines()[-1])
        from goroscope.model.stats import TIMING_KEYS

        ig = TIMING_KEYS | {"file", "version", "lost", "_wall", "_cpu", "_warm", "_base"}
        same = {k: v for k, v in got.items() if k not in ig} == {
            k: v for k, v in want.items() if k not in ig
        }
        mb = 1e6
        print(f"run {i + 1} (load {load:.1f}): tracecount -json  wall {gw:6.1f} s  "
              f"cpu {gc:6.1f} s  peak RSS {gr / mb:7.0f} MB ({gr / size:.2f}x file; anon "
              f"{gp['RssAnon'] / mb:.0f}, file {gp['RssFile'] / mb:.0f})")  # fmt: skip
        print(f"       goroscope stats  wall {got['_wall']:6.1f} s  (process {ow:.1f} s, "
              f"JIT cache load {got['_warm']:.1f} s)  cpu {oc:6.1f} s (stats alone "
              f"{got['_cpu']:.1f} s)  "
              f"peak RSS {orr / mb:7.0f} MB ({orr / size:.2f}x file; anon "
              f"{op['RssAnon'] / mb:.0f}, file {op['RssFile'] / mb:.0f}; baseline before "
              f"stats: RSS {got['_base']['VmRSS'] / mb:.0f} = anon "
              f"{got['_base']['RssAnon'] / mb:.0f} + file {got['_base']['RssFile'] / mb:.0f})  "
              f"equal to tracecount: {same}")  # fmt: skip
        print(
            f"       throughput vs Go: wall {gw / got['_wall']:.2f}x, cpu {gc / oc:.2f}x "
            f"(stats alone {gc / got['_cpu']:.2f}x)"
        )


if __name__ == "__main__":
    main()
