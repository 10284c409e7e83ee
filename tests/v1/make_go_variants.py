"""Write tests/v1/data/go_variants.json: every distinct ``tracecount -summary`` result Go gives
for each old-format trace over repeated runs (Go's own output, never ours).

Why: Go's old-format parser merges the per-P batches starting from a Go map of Ps, whose
iteration order is random, so events with equal timestamps on different Ps come out in
a different order from run to run; the +1 ns fix-up of equal times then moves those
events by a nanosecond and the time-dependent summary keys (digests, totals) vary.
``tests/v1/test_v1_oracle.py`` accepts any result Go itself gives.

    .venv/bin/python tests/v1/make_go_variants.py [RUNS]      (default 40 runs per trace)
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GOROOT = Path("/root/.cache/goroscope/go/go1.27.3/go")
TC = GOROOT / "bin/tracecount"
V1DIR = GOROOT / "src/internal/trace/internal/tracev1/testdata"
#: the keys that depend on the order of equal-time events
VARYING = ("totals_ns", "range_ns", "g_transitions_sha256", "p_transitions_sha256",
           "g_stats_sha256", "mmu")  # fmt: skip


def traces() -> list[tuple[str, Path, Path]]:
    out = [(f"go1.21-{p.stem}", ROOT / "testdata/traces/go1.21", Path(p.name))
           for p in sorted((ROOT / "testdata/traces/go1.21").glob("*.trace"))]  # fmt: skip
    out += [(f"goroot-tracev1-{p.name}", V1DIR, Path(p.name)) for p in sorted(V1DIR.glob("*_good"))]
    return out


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    result: dict[str, list[dict]] = {}
    for name, cwd, rel in traces():
        seen: list[dict] = []
        for _ in range(runs):
            p = subprocess.run([TC, "-summary", str(rel)], cwd=cwd, capture_output=True, text=True)
            d = json.loads(p.stdout)
            v = {k: d.get(k) for k in VARYING}
            if v not in seen:
                seen.append(v)
        result[name] = seen
        print(name, len(seen), "distinct", file=sys.stderr)
    out = ROOT / "tests/v1/data/go_variants.json"
    out.write_text(json.dumps({"runs": runs, "variants": result}, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
