"""``goroscope.open``'s per-goroutine columns held narrow while the trace is read are exact.

``model.trace._IdColumns`` holds goroutine IDs and counts as int32, stack IDs as uint32
and times in 5 bytes from the first time seen (``"t40"``), widening a column the first
time a value does not fit. Checked here against a plain dict of Python ints fed the same
updates, with values that fit and values that force each widening (times before the
first one or 2^40 ns after it, IDs and sums past 2^31 / 2^32), and IDs both appended and
inserted between held ones.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from goroscope.model.trace import _NOT_SEEN, _IdColumns

I64, U64, I32, U32 = np.int64, np.uint64, np.int32, np.uint32

SPEC = {
    "first_ns": ("t40", _NOT_SEEN, "min", I64),
    "last_ns": ("t40", -1, "max", I64),
    "created_ns": ("t40", -1, "first", I64),
    "ended_ns": ("t40", -1, "last", I64),
    "transitions": (I32, 0, "sum", I64),
    "creator": (I32, -2, "first", I64),
    "stack": (U32, 0, "first", U64),
    "end_state": (np.uint8, 255, "last"),
}


def _combine(rule: str, fill: int, old: int, v: int) -> int:
    if rule == "min":
        return v if old == fill else min(old, v)
    if rule == "max":
        return v if old == fill else max(old, v)
    if rule == "first":
        return v if old == fill else old
    if rule == "last":
        return old if v == fill else v
    return old + v


def _values(rng: random.Random, k: str, n: int, wide: bool, t0: int) -> list[int]:
    fill = SPEC[k][1]
    out = []
    for _ in range(n):
        if k.endswith("_ns"):
            if k != "first_ns" and k != "last_ns" and rng.random() < 0.3:
                out.append(fill)  # "no value" for first / last rules
            elif wide and rng.random() < 0.2:
                out.append(t0 + rng.choice([-(10**9), 1 << 40, (1 << 41) + 5, 1 << 62]))
            else:
                out.append(t0 + rng.randrange(0, 1 << 36))
        elif k == "transitions":
            out.append(rng.choice([1 << 30, (1 << 31) - 1]) if wide else rng.randrange(0, 9))
        elif k == "creator":
            out.append(rng.choice([-1, 1 << 31, (1 << 40) + 3]) if wide else rng.randrange(-1, 500))
        elif k == "stack":
            out.append(rng.choice([1 << 32, (1 << 64) - 2]) if wide else rng.randrange(0, 1 << 20))
        else:
            out.append(rng.choice([255, rng.randrange(0, 7)]))
    return out


@pytest.mark.parametrize("seed", range(12))
def test_narrow_columns_equal_python_ints(seed):
    rng = random.Random(seed)
    wide = seed % 3 != 0  # some seeds never widen: the narrow storage itself is checked
    cols = _IdColumns(SPEC)
    ref: dict[int, dict[str, int]] = {}
    t0 = rng.choice([0, 10**12, 7 * 10**15])
    next_id = 1
    for _ in range(40):
        # mostly new IDs above the held ones, some in between (gaps), some held ones again
        ids = set()
        for _ in range(rng.randrange(1, 60)):
            r = rng.random()
            if r < 0.6:
                next_id += rng.randrange(1, 4)
                ids.add(next_id)
            elif r < 0.8 and ref:
                ids.add(rng.choice(list(ref)))
            else:
                ids.add(rng.randrange(1, next_id + 1))
        ids_arr = np.array(sorted(ids), np.int64)
        keys = rng.sample(list(SPEC), rng.randrange(1, len(SPEC) + 1))
        values = {}
        for k in keys:
            vals = _values(rng, k, len(ids_arr), wide and rng.random() < 0.15, t0)
            wide_t = SPEC[k][3] if len(SPEC[k]) == 4 else SPEC[k][0]
            values[k] = np.array(vals, wide_t)
            for i, v in zip(ids_arr.tolist(), vals, strict=True):
                row = ref.setdefault(i, {kk: SPEC[kk][1] for kk in SPEC})
                row[k] = _combine(SPEC[k][2], SPEC[k][1], row[k], v)
        for i in ids_arr.tolist():
            ref.setdefault(i, {kk: SPEC[kk][1] for kk in SPEC})
        cols.update(ids_arr, values)
    cols.compact()
    want_ids = sorted(ref)
    assert cols.ids.tolist() == want_ids
    for k in SPEC:
        got = cols.wide(k)
        want_t = SPEC[k][3] if len(SPEC[k]) == 4 else SPEC[k][0]
        assert got.dtype == want_t, k
        want = [ref[i][k] for i in want_ids]
        assert got.tolist() == want, k


def test_narrow_storage_is_narrow():
    """Times that fit take 5 B, IDs and counts 4 B (what the memory figure rests on)."""
    cols = _IdColumns(SPEC)
    ids = np.arange(1, 1001, dtype=np.int64)
    t = np.arange(1000, dtype=np.int64) * 1_000_003 + 5 * 10**15
    cols.update(ids, {"first_ns": t, "last_ns": t + 7, "transitions": np.ones(1000, I64)})
    c = cols.cols
    assert c["first_ns"].dtype == np.uint32
    assert cols._hi["first_ns"].dtype == np.uint8
    assert c["transitions"].dtype == np.int32
    assert c["creator"].dtype == np.int32
    assert c["stack"].dtype == np.uint32
    cols.compact()
    assert cols.wide("first_ns").tolist() == t.tolist()
    assert cols.wide("last_ns").tolist() == (t + 7).tolist()
    assert cols.wide("created_ns").tolist() == [-1] * 1000
