"""Wire-layer benchmark: index + decode of a big trace beside ``tracecount -raw -json``.

Not a unit test (``make bench``). Every measurement runs in its own subprocess so
peak RSS (``wait4`` ru_maxrss) belongs to that measurement alone:

* ``tracecount -raw -json FILE`` — Go's raw wire reader, the baseline;
* ``decode`` — open (mmap) + ``index_trace`` + ``decode_generation`` for every
  generation on a 2-worker thread pool, at most ``workers`` generations in
  flight, each worker decoding into its own reused ``DecodeBuffers`` (a streaming
  consumer: columns looked at, then dropped), file pages released
  (``madvise(DONTNEED)``) after the index and after each chunk, so resident
  memory is bounded by what is in flight, not by the file. ``decode`` streams
  each generation's events in chunks of whole batches (``iter_event_chunks``,
  ``--chunk-bytes``, default 1 MiB of wire data) after decoding its tables;
  ``decode whole`` materialises each generation's events at once
  (``decode_generation``; memory then grows with the largest generation);
* ``raw`` — our ``raw_counts`` (single thread), checked equal to tracecount;
* ``tracecount -json FILE`` — Go's full reader (``internal/trace``), the semantic
  baseline, beside ``goroscope stats`` (``goroscope.model.stats.stats``: format
  decode + the numba ordering kernel on a worker thread + counting its rows), whose
  semantic keys are checked equal to ``tracecount -json -v`` (run once).

The JIT cache is warmed (``warm_up``) before the timed interval, and its load
time is reported (a cold cache shows up as seconds, not ~0.2 s).

Usage::

    .venv/bin/python tests/bench/run_bench.py [--trace FILE] [--workers 2] [--repeat 3]

Without ``--trace``: ``$GOROSCOPE_CACHE/big/big.trace`` (``testdata/gen/big_trace.sh``),
else the largest ``*.trace`` ≥ 300 MB in ``$GOROSCOPE_CACHE/big``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("GOROSCOPE_CACHE", Path.home() / ".cache" / "goroscope"))
TRACECOUNT = CACHE / "go" / "go1.27.3" / "go" / "bin" / "tracecount"


def run_measured(cmd: list[str], env: dict | None = None) -> tuple[str, float, int]:
    """Run ``cmd``; return (stdout, wall seconds, peak RSS in bytes of that child alone)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    out, err = "", ""
    # Read pipes fully before reaping so the child never blocks on a full pipe.
    out = p.stdout.read()
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    if p.returncode not in (0, 1):
        raise RuntimeError(f"{cmd[0]} failed ({p.returncode}): {err[-2000:]}")
    return out, wall, ru.ru_maxrss * 1024


# --- child modes -------------------------------------------------------------------------------


def child_decode(path: str, workers: int, chunk_bytes: int) -> dict:
    import threading
    from concurrent.futures import ThreadPoolExecutor
    from threading import BoundedSemaphore

    from goroscope.format import decode, index, tracefile

    t = time.perf_counter()
    decode.warm_up()
    warm_s = time.perf_counter() - t

    t0 = time.perf_counter()
    with tracefile.TraceFile(path) as tf:
        ix = index.index_trace(tf)
        t_index = time.perf_counter() - t0
        tf.release_pages(0, tf.size)
        gi = ix.generations
        slots = BoundedSemaphore(workers)
        local = threading.local()

        def one(g: int) -> tuple[int, int]:
            try:
                if not hasattr(local, "buffers"):
                    local.buffers = decode.DecodeBuffers()
                    local.chunk_buffers = decode.DecodeBuffers()
                if chunk_bytes:
                    # Tables + validation, then the events streamed in chunks of whole batches.
                    gen = decode.decode_generation(tf, ix, g, buffers=local.buffers, events=False)
                    n = 0
                    for chunk in decode.iter_event_chunks(
                        tf, ix, g, max_bytes=chunk_bytes, buffers=local.chunk_buffers, release=True
                    ):
                        n += len(chunk)
                else:
                    gen = decode.decode_generation(tf, ix, g, buffers=local.buffers)
                    n = len(gen.events)
                extra = len(gen.strings.ids) + len(gen.stacks.ids) + len(gen.cpu_samples.time_ns)
                del gen
                tf.release_pages(int(gi.byte_start[g]), int(gi.byte_end[g]))
                return n, extra
            finally:
                slots.release()

        futures = []
        with ThreadPoolExecutor(workers) as pool:
            for g in range(len(gi)):
                slots.acquire()
                futures.append(pool.submit(one, g))
            results = [f.result() for f in futures]
        seconds = time.perf_counter() - t0
    return {
        "seconds": seconds,
        "index_seconds": t_index,
        "warm_up_seconds": warm_s,
        "timed_events": sum(r[0] for r in results),
        "table_entries": sum(r[1] for r in results),
        "generations": len(gi),
        "batches": len(ix.batches),
        "error": None if ix.error is None else str(ix.error),
    }


def child_stats(path: str) -> dict:
    from goroscope.format import decode
    from goroscope.model import order
    from goroscope.model.stats import stats

    t = time.perf_counter()
    decode.warm_up()
    order.warm_up()
    warm_s = time.perf_counter() - t
    t0 = time.perf_counter()
    res = stats(path)
    res["seconds"] = time.perf_counter() - t0
    res["warm_up_seconds"] = warm_s
    return res


def child_raw(path: str) -> dict:
    from goroscope.format import decode

    decode.warm_up()
    t0 = time.perf_counter()
    rc = decode.raw_counts(path)
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "events": rc.events, "by_kind": rc.by_kind, "version": rc.version}


# --- driver ------------------------------------------------------------------------------------


def default_trace() -> Path | None:
    big = CACHE / "big" / "big.trace"
    if big.exists() and big.stat().st_size >= 300e6:
        return big
    cands = sorted((CACHE / "big").glob("*.trace"), key=lambda p: p.stat().st_size, reverse=True)
    cands = [p for p in cands if p.stat().st_size >= 300e6]
    return cands[0] if cands else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--trace", type=Path)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--chunk-bytes",
        type=int,
        default=1 << 20,
        help="streamed decode: wire bytes of events per chunk (default 1 MiB)",
    )
    ap.add_argument("--child", choices=["decode", "raw", "stats"], help=argparse.SUPPRESS)
    ap.add_argument(
        "--only-stats", action="store_true", help="skip the wire-layer rows (decode, raw)"
    )
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)

    if args.child:
        if args.child == "decode":
            res = child_decode(str(args.trace), args.workers, args.chunk_bytes)
        elif args.child == "stats":
            res = child_stats(str(args.trace))
        else:
            res = child_raw(str(args.trace))
        print(json.dumps(res))
        return 0

    trace = args.trace or default_trace()
    if trace is None:
        print(
            "no trace >= 300 MB found; run `bash testdata/gen/big_trace.sh` or pass --trace",
            file=sys.stderr,
        )
        return 2
    size = trace.stat().st_size
    env = dict(os.environ, NUMPY_MADVISE_HUGEPAGE="0")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "app"), str(ROOT), env.get("PYTHONPATH", "")])
    py = [sys.executable, str(Path(__file__).resolve())]

    rows: dict[str, list[dict]] = {
        "tracecount -raw": [],
        "goroscope decode": [],
        "goroscope decode whole": [],
        "goroscope raw_counts": [],
        "tracecount": [],
        "goroscope stats": [],
    }
    if args.only_stats:
        for k in ("tracecount -raw", "goroscope decode", "goroscope decode whole"):
            del rows[k]
        del rows["goroscope raw_counts"]
    # The semantic oracle, once: tracecount -json -v (every key goroscope stats reports).
    out, _, _ = run_measured([str(TRACECOUNT), "-json", "-v", str(trace)])
    oracle = json.loads(out)
    go_raw = None
    for _ in range(args.repeat):
        out, wall, rss = run_measured([str(TRACECOUNT), "-json", str(trace)])
        go_full = json.loads(out)
        rows["tracecount"].append({**go_full, "wall": wall, "rss": rss})
        out, wall, rss = run_measured([*py, "--child", "stats", "--trace", str(trace)], env)
        rows["goroscope stats"].append({**json.loads(out), "wall": wall, "rss": rss})
        if args.only_stats:
            continue
        out, wall, rss = run_measured([str(TRACECOUNT), "-raw", "-json", str(trace)])
        go_raw = json.loads(out)
        rows["tracecount -raw"].append({"seconds": go_raw["seconds"], "wall": wall, "rss": rss})
        for name, chunk in (("goroscope decode", args.chunk_bytes), ("goroscope decode whole", 0)):
            cmd = [*py, "--child", "decode", "--trace", str(trace), "--workers", str(args.workers)]
            out, wall, rss = run_measured([*cmd, "--chunk-bytes", str(chunk)], env)
            d = json.loads(out)
            rows[name].append({**d, "wall": wall, "rss": rss})
        out, wall, rss = run_measured([*py, "--child", "raw", "--trace", str(trace)], env)
        r = json.loads(out)
        rows["goroscope raw_counts"].append({**r, "wall": wall, "rss": rss})

    ignored = {"seconds", "mb_per_s", "events_per_s", "mem", "mode", "file", "version"}
    ours = rows["goroscope stats"][-1]
    stats_diff = {
        k: (ours.get(k), oracle.get(k))
        for k in set(ours) | set(oracle)
        if k not in ignored
        and k not in ("wall", "rss", "warm_up_seconds", "bytes")
        and ours.get(k) != oracle.get(k)
    }
    summary = {
        "trace": str(trace),
        "bytes": size,
        "events": oracle["events"],
        "stats_match_tracecount_v": not stats_diff,
        "stats_diff": stats_diff,
        "workers": args.workers,
        "repeat": args.repeat,
        "load_average": os.getloadavg(),
        "results": {},
    }
    if not args.only_stats:
        raw_events = go_raw["events"]
        summary["version"] = go_raw.get("version")
        summary["raw_events"] = raw_events
        summary["raw_counts_match_tracecount"] = (
            rows["goroscope raw_counts"][-1]["by_kind"] == go_raw["by_kind"]
        )
        d0 = rows["goroscope decode"][-1]
        summary["generations"] = d0["generations"]
        summary["timed_events"] = d0["timed_events"]
    summary["warm_up_seconds"] = statistics.median(
        r["warm_up_seconds"] for r in rows["goroscope stats"]
    )
    for name, rs in rows.items():
        s = statistics.median(r["seconds"] for r in rs)
        summary["results"][name] = {
            "seconds": s,
            "seconds_all": [round(r["seconds"], 4) for r in rs],
            "mb_per_s": size / 1e6 / s,
            "events_per_s": oracle["events"] / s,
            "peak_rss_mb": max(r["rss"] for r in rs) / 2**20,
            "peak_rss_x_file": max(r["rss"] for r in rs) / size,
            "wall_s": statistics.median(r["wall"] for r in rs),
        }
    base = summary["results"]["tracecount"]["seconds"]
    for v in summary["results"].values():
        v["speedup_vs_tracecount"] = base / v["seconds"]
    if not args.only_stats:
        base = summary["results"]["tracecount -raw"]["seconds"]
        for v in summary["results"].values():
            v["speedup_vs_tracecount_raw"] = base / v["seconds"]
        dec = summary["results"]["goroscope decode"]
        dec["timed_events_per_s"] = summary["timed_events"] / dec["seconds"]
        dec["index_seconds"] = statistics.median(
            r["index_seconds"] for r in rows["goroscope decode"]
        )

    if args.json:
        print(json.dumps(summary, indent=1))
        return 0
    print(f"trace: {trace} ({size / 1e6:.1f} MB, {oracle['events']:,} events)")
    print(f"goroscope stats == tracecount -json -v (every semantic key): {not stats_diff}")
    if stats_diff:
        print(f"  differences: {stats_diff}")
    if not args.only_stats:
        print(
            f"raw events: {summary['raw_events']:,}  timed events: {summary['timed_events']:,}  "
            f"raw_counts == tracecount: {summary['raw_counts_match_tracecount']}"
        )
    print(
        f"JIT warm-up (cache load) in child: {summary['warm_up_seconds']:.2f} s; median of "
        f"{args.repeat}; load average {summary['load_average'][0]:.2f} (a shared machine shows here)"
    )
    print(
        f"{'':24} {'seconds':>8} {'MB/s':>8} {'Mev/s':>8} {'x Go':>6} {'peak RSS':>9} {'x file':>6}"
    )
    for name, v in summary["results"].items():
        print(
            f"{name:24} {v['seconds']:8.3f} {v['mb_per_s']:8.1f} {v['events_per_s'] / 1e6:8.2f} "
            f"{v['speedup_vs_tracecount']:6.2f} {v['peak_rss_mb']:7.0f}MB {v['peak_rss_x_file']:6.2f}"
        )
    print("(Mev/s: parsed events, tracecount's count; x Go: vs tracecount -json, the full reader)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
