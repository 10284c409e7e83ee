"""Model benchmark: build the Timeline (spans, counters, annotations) of a trace.

Not a unit test (``make bench`` / ``run_bench.py`` may call it). Each measurement
runs in its own subprocess so peak RSS (``wait4`` ru_maxrss) belongs to it alone:

* ``read`` — the event stream only (``TraceChunks`` over the mmap, finished
  generations released), every chunk dropped: the floor the model builds on;
* ``model`` — the same stream folded by ``TimelineBuilder`` into the complete
  Timeline, which is kept until the end (what the app holds);
* ``job`` (``--job``) — the app's own path: ``index_job`` then ``timeline_job`` (the
  reader thread, progressive snapshots, the latest held as ``TraceSession`` holds it);
* ``profile`` (``--profile``, alone) — the Blocking/CPU panels' profile pass
  (``profile_job``) over the app's loaded model: its peak RSS (sampled) over the RSS
  with the model, its seconds, intervals and stacks.

Peak RSS counts anonymous memory and file-backed pages alike (the trace's mapped
pages, numba's LLVM library); a sampler thread reads both from ``/proc/self/status``
every 50 ms and reports them at the sampled peak, with the load average.

Reported per trace: seconds, peak RSS, the model's own bytes by part
(``Timeline.nbytes``) and by column (each table's columns, the segments' summed), spans, goroutines, bytes per span (span columns only,
and everything the model holds per span). JIT caches are warmed before timing.

Usage::

    .venv/bin/python tests/bench/bench_model.py [TRACE ...] [--chunk-events N] [--json] [--job]
    .venv/bin/python tests/bench/bench_model.py --profile [--json] TRACE ...

Without TRACE: the largest committed trace and, if present,
``$GOROSCOPE_CACHE/big/big.trace`` (``bash testdata/gen/big_trace.sh``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("GOROSCOPE_CACHE", Path.home() / ".cache" / "goroscope"))


def _one(path: str, mode: str, chunk_events: int) -> dict:
    """Run one measurement in this process (the child)."""
    from goroscope.format import TraceFile
    from goroscope.model import TraceChunks
    from goroscope.model.spans import TimelineBuilder

    tiny = ROOT / "testdata" / "traces" / "go1.25" / "flightrecorder.trace"
    with open(tiny, "rb") as f:  # warm the JIT caches (ordering kernel, decode)
        for _ in TraceChunks(f.read()):
            pass
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    base_split = _rss_split()
    # a TraceFile, as the app opens it: the reader then releases each generation's
    # mapped pages (a bare mmap would be copied to bytes whole: +1x the file)
    tf = TraceFile(path)
    size = len(tf.buf)
    sampler = _RssSampler()
    t0 = time.perf_counter()
    chunks = TraceChunks(tf, chunk_events=chunk_events, keep_columns=False)
    out: dict = {"trace": path, "mode": mode, "bytes": size, "chunk_events": chunk_events}
    events = 0
    build_s = 0.0
    from goroscope.jobs.session import _state_bin_ns

    b = TimelineBuilder(state_bin_ns=_state_bin_ns(_duration_hint(path)))
    from goroscope.format import index_trace
    from goroscope.model.spans import release_read_ahead

    for chunk in release_read_ahead(chunks, tf, index_trace(tf)):  # as timeline_job does
        events += len(chunk)
        sampler.phase = events
        if mode == "model":
            t = time.perf_counter()
            b.add(chunk)
            build_s += time.perf_counter() - t
        del chunk
    out["events"] = events
    out["error"] = str(chunks.error) if chunks.error else None
    del chunks  # the reader's state goes before the final snapshot (as in build_timeline)
    if mode == "model":
        t = time.perf_counter()
        tl = b.snapshot(complete=True)
        build_s += time.perf_counter() - t
        nb = tl.nbytes()
        total = sum(nb.values())
        out.update(
            spans=tl.n_spans,
            goroutines=tl.n_goroutines,
            segments=len(tl.segments),
            model_bytes=total,
            model_parts=nb,
            bytes_per_span_columns=nb["span_columns"] / max(1, tl.n_spans),
            model_bytes_per_span=total / max(1, tl.n_spans),
            model_over_file=total / size,
            build_s=build_s,
            columns=_column_bytes(tl),
        )
    sampler.phase = "snapshot"
    out["seconds"] = time.perf_counter() - t0
    out["peak_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    out["baseline_rss"] = base_rss
    out["baseline_anon_file"] = base_split
    out["loadavg"] = os.getloadavg()
    out["rss_at_peak"] = sampler.stop()
    out["rss_end"] = _rss_now()
    from goroscope.model.spans import release_free_memory

    release_free_memory()
    out["rss_end_trimmed"] = _rss_now()
    return out


def _column_bytes(tl) -> dict[str, int]:
    """Bytes of each per-goroutine / per-row table column (``table.field``), the
    segments' columns summed over segments (``segment.field``), biggest first."""
    out: dict[str, int] = {"goroutines.last_seg": int(tl.last_seg.nbytes)}
    for name in ("goroutines", "regions", "ranges", "tasks", "logs", "cpu_samples"):
        t = getattr(tl, name)
        for f in t.__dataclass_fields__:
            out[f"{name}.{f}"] = int(getattr(t, f).nbytes)
    for s in tl.segments:
        for f in s.__dataclass_fields__:
            a = getattr(s, f)
            if hasattr(a, "nbytes") and f not in ("kp_kind", "kp_proc"):
                out[f"segment.{f}"] = out.get(f"segment.{f}", 0) + int(a.nbytes)
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def _rss_now() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _rss_split() -> tuple[int, int]:
    """(anonymous, file-backed) resident bytes of this process (``/proc/self/status``).

    ``ru_maxrss`` counts both: the trace's mapped pages are file-backed (reclaimable, shared
    with the page cache) but still resident while the reader holds them."""
    anon = file = 0
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                anon = int(line.split()[1]) * 1024
            elif line.startswith("RssFile:") or line.startswith("RssShmem:"):
                file += int(line.split()[1]) * 1024
    return anon, file


class _RssSampler:
    """Polls RSS (anon and file) every 0.05 s; remembers the phase (events read) of its
    maximum, the maximum of each part, and a thinned series for looking at the build."""

    def __init__(self) -> None:
        import threading

        self.phase: object = 0
        self.max = (0, 0, 0, 0)  # total, anon, file, phase
        self.max_anon = 0
        self.max_file = 0
        self.series: list[tuple[float, object, int, int]] = []
        self._t0 = time.perf_counter()
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self) -> None:
        k = 0
        while not self._stop.wait(0.05):
            anon, file = _rss_split()
            self.max_anon = max(self.max_anon, anon)
            self.max_file = max(self.max_file, file)
            if anon + file > self.max[0]:
                self.max = (anon + file, anon, file, self.phase)
            if k % 20 == 0:  # one point per second
                self.series.append((round(time.perf_counter() - self._t0, 1), self.phase,
                                    anon, file))  # fmt: skip
            k += 1

    def stop(self) -> dict:
        self._stop.set()
        self._t.join()
        total, anon, file, phase = self.max
        return {
            "rss": total,
            "anon": anon,
            "file": file,
            "phase": phase,
            "max_anon": self.max_anon,
            "max_file": self.max_file,
            "series": self.series,
        }


def _job(path: str, chunk_events: int) -> dict:
    """The app's path: ``index_job`` then ``timeline_job`` (what ``TraceSession`` runs: the
    reader's prefetch, ``build_timeline``'s snapshots and its final ``malloc_trim``)."""
    from goroscope.jobs import CancelToken
    from goroscope.jobs.cancel import Progress
    from goroscope.jobs.session import STAGES, index_job, timeline_job
    from goroscope.model import TraceChunks

    tiny = ROOT / "testdata" / "traces" / "go1.25" / "flightrecorder.trace"
    with open(tiny, "rb") as f:  # warm the JIT caches (ordering kernel, decode)
        for _ in TraceChunks(f.read()):
            pass
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    base_split = _rss_split()
    sampler = _RssSampler()
    cancel = CancelToken()
    progress = Progress(STAGES)
    progress.subscribe(lambda u: setattr(sampler, "phase", round(u.fraction, 3)))
    snaps: list = [0, None]

    def on_snapshot(tl) -> None:
        snaps[0] += 1
        snaps[1] = tl  # held until the next one, as TraceSession.timeline (and the GUI) do

    t0 = time.perf_counter()
    idx = index_job(path, cancel=cancel, progress=progress)
    kw = {}
    if os.environ.get("BENCH_PREFETCH"):
        kw["prefetch"] = int(os.environ["BENCH_PREFETCH"])
    tl, err = timeline_job(
        idx,
        cancel=cancel,
        progress=progress,
        on_snapshot=None if os.environ.get("BENCH_NOSNAP") else on_snapshot,
        chunk_events=chunk_events,
        **kw,
    )
    snaps[1] = None
    seconds = time.perf_counter() - t0
    sampler.phase = "done"
    nb = tl.nbytes()
    out = {
        "trace": path,
        "mode": "job",
        "bytes": idx.size,
        "chunk_events": chunk_events,
        "error": str(err) if err else None,
        "spans": tl.n_spans,
        "goroutines": tl.n_goroutines,
        "snapshots": snaps[0],
        "model_bytes": sum(nb.values()),
        "seconds": seconds,
        "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "baseline_rss": base_rss,
        "baseline_anon_file": base_split,
        "loadavg": os.getloadavg(),
        "rss_at_peak": sampler.stop(),
        "rss_end": _rss_now(),
    }
    idx.tracefile.close()
    return out


def _profile(path: str, chunk_events: int) -> dict:
    """The Blocking/CPU panels' profile pass (``profile_job``) over the app's loaded model:
    ``index_job`` + ``timeline_job`` first, then the pass; its peak RSS over the RSS with
    the model loaded (the pass's own reader, stack table and collector)."""
    from goroscope.jobs import CancelToken
    from goroscope.jobs.cancel import Progress
    from goroscope.jobs.session import STAGES, index_job, timeline_job
    from goroscope.model import TraceChunks
    from goroscope.model.spans import release_free_memory
    from goroscope.ui.models.profile_data import profile_job

    tiny = ROOT / "testdata" / "traces" / "go1.25" / "flightrecorder.trace"
    with open(tiny, "rb") as f:  # warm the JIT caches (ordering kernel, decode)
        for _ in TraceChunks(f.read()):
            pass
    cancel = CancelToken()
    idx = index_job(path, cancel=cancel, progress=Progress(STAGES))
    t0 = time.perf_counter()
    tl, err = timeline_job(idx, cancel=cancel, progress=Progress(STAGES),
                           chunk_events=chunk_events)  # fmt: skip
    model_s = time.perf_counter() - t0
    release_free_memory()
    # the model build's peak is behind us: ru_maxrss cannot be reset, so the pass's
    # peak is the sampler's (every 50 ms)
    before = _rss_split()
    sampler = _RssSampler()
    t0 = time.perf_counter()
    data = profile_job(idx.tracefile, tl, cancel=cancel, progress=Progress(("profile",)))
    seconds = time.perf_counter() - t0
    pk = sampler.stop()
    out = {
        "trace": path,
        "mode": "profile",
        "bytes": idx.size,
        "error": str(err) if err else None,
        "model_s": model_s,
        "seconds": seconds,
        "rss_before": sum(before),
        "rss_before_anon_file": before,
        "pass_peak_rss": pk["rss"],
        "pass_peak_over_model": pk["rss"] - sum(before),
        "rss_at_peak": pk,
        "intervals": {k: int(v) for k, v in data.stats.items()},
        "stacks": len(data.frames),
        "peak_rss_process": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "loadavg": os.getloadavg(),
    }
    idx.tracefile.close()
    return out


def _session(path: str, chunk_events: int) -> dict:
    """TraceSession on a 2-thread executor: when each stage arrives (open → ready)."""
    from goroscope.jobs import Stage, ThreadExecutor, TraceSession
    from goroscope.model import TraceChunks

    tiny = ROOT / "testdata" / "traces" / "go1.25" / "flightrecorder.trace"
    with open(tiny, "rb") as f:
        for _ in TraceChunks(f.read()):
            pass
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    marks: dict[str, float] = {}
    t0 = time.perf_counter()

    def on_stage(stage):
        marks[stage.name] = time.perf_counter() - t0

    def on_timeline(tl):
        marks.setdefault("first_timeline", time.perf_counter() - t0)
        marks.setdefault("first_timeline_covered_ns", tl.covered_ns)

    ex = ThreadExecutor()
    s = TraceSession(
        path, ex, on_stage=on_stage, on_timeline=on_timeline, chunk_events=chunk_events
    )
    s.start()
    s.wait()
    ex.shutdown()
    if s.error is not None:
        raise s.error
    out = {"trace": path, "mode": "session", "bytes": os.path.getsize(path)}
    out.update(marks)
    out["covered_ns"] = s.timeline.covered_ns
    out["stage"] = Stage(s.stage).name
    out["seconds"] = time.perf_counter() - t0
    out["peak_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    out["baseline_rss"] = base_rss
    s.close()
    return out


def _duration_hint(path: str) -> int:
    from goroscope.format import TraceFile, index_trace

    with TraceFile(path) as tf:
        g = index_trace(tf).generations
        return int(g.last_ns.max() - g.first_ns.min()) if len(g) else 0


def run(path: str, mode: str, chunk_events: int) -> dict:
    cmd = [sys.executable, __file__, "--child", mode, "--chunk-events", str(chunk_events), path]
    env = dict(os.environ, NUMPY_MADVISE_HUGEPAGE="0")
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{p.stderr}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def default_traces() -> list[str]:
    committed = sorted(
        (ROOT / "testdata" / "traces").glob("go1.2[2-9]/*.trace"), key=lambda p: p.stat().st_size
    )
    out = [str(committed[-1])]
    big = CACHE / "big" / "big.trace"
    if big.exists():
        out.append(str(big))
    return out


def _mb(x: float) -> str:
    return f"{x / 1e6:,.1f} MB"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("traces", nargs="*")
    ap.add_argument("--chunk-events", type=int, default=1 << 18)
    ap.add_argument("--json", action="store_true", help="one JSON object per measurement")
    ap.add_argument("--no-read", action="store_true", help="skip the read-only baseline")
    ap.add_argument("--session", action="store_true", help="also time TraceSession's stages")
    ap.add_argument(
        "--job", action="store_true", help="also the app's path (index_job + timeline_job)"
    )
    ap.add_argument(
        "--profile", action="store_true",
        help="only the Blocking/CPU profile pass over the loaded model (its peak over the model)",
    )  # fmt: skip
    ap.add_argument(
        "--child", choices=("read", "model", "job", "session", "profile"), help=argparse.SUPPRESS
    )
    a = ap.parse_args(argv)
    if a.child == "profile":
        print(json.dumps(_profile(a.traces[0], a.chunk_events)))
        return 0
    if a.profile:
        for path in a.traces or default_traces():
            r = run(path, "profile", a.chunk_events)
            if a.json:
                print(json.dumps(r))
                continue
            pk = r["rss_at_peak"]
            print(
                f"{path}: profile pass {r['seconds']:.1f} s (model {r['model_s']:.1f} s),"
                f" {r['stacks']:,} stacks, intervals {r['intervals']}; RSS with the model"
                f" {_mb(r['rss_before'])}, pass peak {_mb(r['pass_peak_rss'])}"
                f" (+{_mb(r['pass_peak_over_model'])}; anon {_mb(pk['anon'])} + file"
                f" {_mb(pk['file'])}); load {r['loadavg'][0]:.1f}"
            )
        return 0
    if a.child == "session":
        print(json.dumps(_session(a.traces[0], a.chunk_events)))
        return 0
    if a.child == "job":
        print(json.dumps(_job(a.traces[0], a.chunk_events)))
        return 0
    if a.child:
        print(json.dumps(_one(a.traces[0], a.child, a.chunk_events)))
        return 0
    for path in a.traces or default_traces():
        read = None if a.no_read else run(path, "read", a.chunk_events)
        model = run(path, "model", a.chunk_events)
        if a.json:
            for r in (read, model):
                if r is not None:
                    print(json.dumps(r))
            for flag, mode in ((a.job, "job"), (a.session, "session")):
                if flag:
                    print(json.dumps(run(path, mode, a.chunk_events)))
            continue
        print(f"{path}: {_mb(model['bytes'])}, {model['events']:,} events, error={model['error']}")
        if read is not None:
            print(
                f"  read only : {read['seconds']:.2f} s, peak RSS {_mb(read['peak_rss'])}"
                f" (interpreter+JIT {_mb(read['baseline_rss'])})"
            )
        pk = model["rss_at_peak"]
        print(
            f"  model     : {model['seconds']:.2f} s (fold {model['build_s']:.2f} s,"
            f" {model['events'] / max(model['build_s'], 1e-9) / 1e6:.1f} M ev/s),"
            f" peak RSS {_mb(model['peak_rss'])} = {model['peak_rss'] / model['bytes']:.2f}x file"
            f" (sampled peak: anon {_mb(pk['anon'])} + file {_mb(pk['file'])};"
            f" baseline anon {_mb(model['baseline_anon_file'][0])} + file"
            f" {_mb(model['baseline_anon_file'][1])}; load {model['loadavg'][0]:.1f})"
        )
        print(
            f"  model size: {_mb(model['model_bytes'])} = {model['model_over_file']:.2f}x file;"
            f" {model['spans']:,} spans, {model['goroutines']:,} goroutines,"
            f" {model['segments']} segments"
        )
        print(
            f"  bytes/span: {model['bytes_per_span_columns']:.2f} (span columns),"
            f" {model['model_bytes_per_span']:.2f} (whole model)"
        )
        parts = ", ".join(f"{k} {_mb(v)}" for k, v in model["model_parts"].items() if v)
        print(f"  parts     : {parts}")
        cols = ", ".join(f"{k} {_mb(v)}" for k, v in model["columns"].items() if v >= 1 << 20)
        print(f"  columns   : {cols} (>= 1 MiB)")
        if a.job:
            j = run(path, "job", a.chunk_events)
            if a.json:
                print(json.dumps(j))
            else:
                pk = j["rss_at_peak"]
                print(
                    f"  app job   : {j['seconds']:.2f} s, {j['snapshots']} snapshots (latest held),"
                    f" peak RSS {_mb(j['peak_rss'])} = {j['peak_rss'] / j['bytes']:.2f}x file"
                    f" (sampled peak: anon {_mb(pk['anon'])} + file {_mb(pk['file'])};"
                    f" load {j['loadavg'][0]:.1f})"
                )
        if a.session:
            s = run(path, "session", a.chunk_events)
            if a.json:
                print(json.dumps(s))
                continue
            print(
                f"  session   : INDEXED {s['INDEXED']:.2f} s, first timeline {s['first_timeline']:.2f} s"
                f" (covers {s['first_timeline_covered_ns'] / 1e9:.3f} of"
                f" {s['covered_ns'] / 1e9:.3f} s), STACKS_READY {s['STACKS_READY']:.2f} s,"
                f" peak RSS {_mb(s['peak_rss'])}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
