"""Old-format traces: each converted event's processor ID is the one Go's conversion gives.

Old traces are written in per-P batches, with tracev1's fake Ps for timer and netpoll
unblocks, syscall exits and GC (1000001-1000004) and no P (-1) for the Syncs. Go's counts
per P and per (P, event kind) come from ``goprocs/main.go`` over Go's own reader
(``tests/v1/data/go_procs.json``, ``make_go_procs.py``); tracecount reports only how many
distinct Ps there are.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from tests.v1.conftest import v1_cases

from goroscope.model._v1convert import V1Chunks
from goroscope.model.events import EventKind

GO = json.loads((Path(__file__).parent / "data" / "go_procs.json").read_text())


@pytest.mark.parametrize(("name", "trace"), v1_cases(), ids=[n for n, _ in v1_cases()])
@pytest.mark.parametrize("chunk", [None, 1 << 18])
def test_proc_ids_equal_go(name, trace, chunk):
    want = GO[name]
    if "error" in want and len(want) == 1:
        pytest.skip("Go rejects this trace")
    got: Counter = Counter()
    for t in V1Chunks(trace.read_bytes(), chunk_events=chunk):
        pairs = np.stack([t.proc, t.kind.astype(np.int64)], axis=1)
        u, n = np.unique(pairs, axis=0, return_counts=True)
        for (p, k), c in zip(u.tolist(), n.tolist(), strict=True):
            got[str(p)] += c
            got[f"{p}/{EventKind(k)}"] += c
    assert dict(got) == want
