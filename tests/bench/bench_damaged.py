"""Damaged-trace benchmark: truncated traces beside Go's ``tracecount`` in the same run.

Not a unit test. A damaged trace is read by the fast reader up to the damaged
generation, which alone goes to the reference reader (``model.order._resume``);
this measures what that costs against the intact part and against Go:

* ``normal-gen1.trace`` / ``normal-gen1-cut.trace`` (``tests/bench/bench_hostile.py
  --damaged`` makes them in ``$GOROSCOPE_CACHE/hostile/``): a 16 MB Go 1.27 generation
  alone, and the same followed by half of its second generation (24 MB, cut);
* ``big-go1.27.trace`` (450 MB, ``$GOROSCOPE_CACHE/big/``) cut in the middle of its
  bytes (written to ``/tmp/big-go1.27-cut.trace``), and optionally the whole file.

Each measurement runs in its own subprocess (wall time; peak RSS from GNU time): ``tracecount
-json -v`` (Go's reader), ``goroscope stats`` (the same counts; checked equal to
tracecount's on every semantic key, ``error`` included) and ``goroscope.open`` (the
API's load pass: the reader plus the goroutine/proc/thread tables).

Usage::

    .venv/bin/python tests/bench/bench_damaged.py [--big] [--whole] [--what stats,open] [--json]
        [TRACE ...]
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
TRACECOUNT = CACHE / "go" / "go1.27.3" / "go" / "bin" / "tracecount"
HOSTILE = CACHE / "hostile"
BIG = CACHE / "big" / "big-go1.27.trace"
BIG_CUT = Path("/tmp/big-go1.27-cut.trace")
KEYS = ("events", "by_kind", "detail", "goroutines", "procs", "threads", "generations",
        "span_ns", "error")  # fmt: skip

CHILD = r"""
import json, sys, time
what, path = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
if what == "stats":
    import goroscope
    out = goroscope.stats(path)
    out.pop("seconds", None)
elif what == "open":
    import goroscope
    with goroscope.open(path) as t:
        out = {"events": t.num_events, "goroutines": len(t.goroutines),
               "error": None if t.error is None else t.error.message}
out["wall_s"] = time.perf_counter() - t0
print(json.dumps(out))
"""


def _run(cmd: list[str], env=None) -> tuple[dict, float, int]:
    """(last JSON line of stdout, wall seconds, peak RSS MB). Peak RSS through GNU time:
    ``wait4``'s ``ru_maxrss`` of a child forked from this Python process includes the
    parent's pages before the child's ``exec``."""
    with tempfile.NamedTemporaryFile("r") as rss:
        t0 = time.perf_counter()
        p = subprocess.run(["/usr/bin/time", "-o", rss.name, "-f", "%M", *cmd],
                           stdout=subprocess.PIPE, env=env, check=False)  # fmt: skip
        wall = time.perf_counter() - t0
        kb = int(rss.read().strip().splitlines()[-1])
    return json.loads(p.stdout.decode().strip().splitlines()[-1]), wall, kb >> 10


def measure(path: Path, whats: list[str]) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "app"))
    go, go_s, go_mb = _run([str(TRACECOUNT), "-json", "-v", str(path)])
    row = {"trace": path.name, "mb": round(path.stat().st_size / 2**20, 1),
           "tracecount_s": round(go_s, 2), "tracecount_mb": go_mb,
           "error": go.get("error")}  # fmt: skip
    for what in whats:
        r, wall, rss = _run([sys.executable, "-c", CHILD, what, str(path)], env)
        row[f"{what}_s"] = round(wall, 2)  # wall, interpreter start and imports included
        row[f"{what}_in_s"] = round(r["wall_s"], 2)  # inside the process
        row[f"{what}_mb"] = rss
        if what == "stats":
            row["stats_equal_tracecount"] = all(r.get(k) == go.get(k) for k in KEYS)
            row["lost"] = r.get("lost")
    return row


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--big", action="store_true", help="the 450 MB trace cut in the middle")
    ap.add_argument("--whole", action="store_true", help="and the whole 450 MB trace")
    ap.add_argument("--what", default="stats,open")
    ap.add_argument("extra", nargs="*", help="more traces to measure (e.g. a cut Go 1.25 one)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    whats = [w for w in args.what.split(",") if w]
    paths = [HOSTILE / "normal-gen1.trace", HOSTILE / "normal-gen1-cut.trace"]
    if args.big:
        if not BIG_CUT.exists() or BIG_CUT.stat().st_size != BIG.stat().st_size // 2:
            with BIG.open("rb") as f, BIG_CUT.open("wb") as out:
                out.write(f.read(BIG.stat().st_size // 2))
        paths.append(BIG_CUT)
    if args.whole:
        paths.append(BIG)
    paths += [Path(p) for p in args.extra]
    # warm the numba cache (a cold compile would be measured in the first run)
    subprocess.run([sys.executable, "-c", CHILD, "stats", str(paths[0])], check=True,
                   env=dict(os.environ, PYTHONPATH=str(ROOT / "app")), capture_output=True)  # fmt: skip
    load = os.getloadavg()[0]
    rows = [measure(p, whats) for p in paths if p.exists()]
    for r in rows:
        r["load"] = round(load, 1)
        print(json.dumps(r) if args.json else r)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
