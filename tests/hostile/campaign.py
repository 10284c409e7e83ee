"""``make fuzz``: a long seeded mutation campaign over the hostile-input harness.

Runs :func:`tests.hostile.harness.mutate` cases (structure-aware mutators over real Go
traces, :data:`~tests.hostile.harness.CAMPAIGN_SOURCES`) through every pipeline in one
sandboxed worker process until the time is up. Each new failure signature (pipeline,
outcome, innermost goroscope frame) is minimized (shortest prefix, then whole batches
dropped; ≤ 60 s) and written as ``testdata/fuzz/<pipeline>-<outcome>-<sha8>.trace`` with
its entry in ``testdata/fuzz/findings.json``; ``tests/hostile/test_regressions.py`` replays
every file there. A case is reproducible from its seed: ``mutate(source, seed)``.

Usage::

    FUZZ_MINUTES=30 make fuzz            # nice -n 10, one worker process
    .venv/bin/python -m tests.hostile.campaign --minutes 5 --seed 1000000 [--report FILE]

Prints a progress line a minute and a JSON report at the end (cases, outcomes per
pipeline, cases/s, worker peak RSS, findings).
"""

from __future__ import annotations

import argparse
import collections
import json
import signal
import sys
import time

from tests.hostile.harness import (
    CAMPAIGN_SOURCES,
    PIPELINES,
    Worker,
    load_sources,
    minimize,
    mutation_cases,
    save_finding,
)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--seed", type=int, default=None, help="first seed (default: from the clock)")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per case before 'hang'")
    ap.add_argument("--no-save", action="store_true", help="report findings, write no files")
    ap.add_argument("--report", default=None, help="also write the JSON report here")
    args = ap.parse_args(argv)

    # SIGTERM (a killed make) leaves through the ``with Worker`` below: no orphan worker
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sources = load_sources(CAMPAIGN_SOURCES)
    seed0 = args.seed if args.seed is not None else int(time.time()) * 1000
    t_end = time.monotonic() + args.minutes * 60
    outcomes: collections.Counter = collections.Counter()
    by_mutator: collections.Counter = collections.Counter()
    signatures: dict[str, dict] = {}
    slow: list[tuple[str, float]] = []  # timed out once, then finished given 5x the time
    n = 0
    t0 = time.monotonic()
    last_log = t0

    def seeds():
        s = seed0
        while time.monotonic() < t_end:
            yield s
            s += 1

    with Worker(timeout=args.timeout, warmup=sources.values()) as w:
        for name, data, steps in mutation_cases(seeds(), sources, small_first=10):
            r = w.run(name, data)
            if any(o == "hang" for o, _ in r.findings.values()):
                # on a loaded machine a slow case can pass for a hang: give it 5x the time
                again = Worker(timeout=5 * args.timeout, warmup=list(sources.values())[:1])
                with again:
                    r2 = again.run(name, data)
                if not any(o == "hang" for o, _ in r2.findings.values()):
                    slow.append((name, round(r2.seconds, 1)))
                    r = r2
            n += 1
            for p, (o, _) in r.outcomes.items():
                outcomes[f"{p}:{o}"] += 1
            for s in steps:
                by_mutator[s.split("@")[0].split("(")[0].split("=")[0]] += 1
            if r.findings:
                sig = r.signature
                seed = int(name.rsplit("seed", 1)[1])
                src = name.split("/")[0]
                entry = signatures.setdefault(sig, {"count": 0, "first_seed": seed, "source": src})
                entry["count"] += 1
                if entry["count"] == 1:
                    print(f"finding: {sig} ({name}: {steps})", file=sys.stderr, flush=True)
                    if not args.no_save:
                        small = minimize(w, data, sig) if "hang" not in sig else data
                        path = save_finding(r, small, steps, source=src, seed=seed)
                        entry["file"] = str(path.name)
                        entry["bytes"] = len(small)
            now = time.monotonic()
            if now - last_log >= 60:
                last_log = now
                print(
                    f"[{(now - t0) / 60:5.1f} min] {n} cases, {n / (now - t0):.1f}/s, "
                    f"{len(signatures)} distinct findings, worker restarts {w.restarts}",
                    file=sys.stderr,
                    flush=True,
                )
        maxrss = w.maxrss
        restarts = w.restarts
    elapsed = time.monotonic() - t0
    report = {
        "cases": n,
        "seconds": round(elapsed, 1),
        "cases_per_s": round(n / max(elapsed, 1e-9), 2),
        "first_seed": seed0,
        "last_seed": seed0 + n - 1,
        "sources": {k: len(v) for k, v in sources.items()},
        "pipelines": list(PIPELINES),
        "outcomes": dict(sorted(outcomes.items())),
        "mutator_steps": dict(sorted(by_mutator.items())),
        "worker_peak_rss_mb": maxrss >> 20,
        "worker_restarts": restarts,
        "slow_not_hung": slow,
        "findings": signatures,
    }
    text = json.dumps(report, indent=1)
    print(text)
    if args.report:
        with open(args.report, "w") as f:
            f.write(text + "\n")
    return 1 if signatures else 0


if __name__ == "__main__":
    sys.exit(main())
