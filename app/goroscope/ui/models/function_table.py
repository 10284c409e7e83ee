"""Per-function flat / cum totals of a profile's records, as ``go tool pprof -top`` (pure data).

A profile view holds one record per stack; a CPU profile's stacks are many and
shallowly different (each recursion depth, each sort partition is its own stack:
1,318 stacks for 2,773 samples in ``testdata/traces/go1.27/cpusamples.trace``),
so its top table by stack gives 1–2 % per row. pprof's ``-top`` instead groups by
function: **flat** — the value of the records whose leaf is the function; **cum** —
the value of the records whose stack contains it (once per record, however often
recursion repeats it). Function names are grouped with their type arguments
elided (``slices.Sort[...]``), as the runtime names them in pprof profiles (the
trace's stack table spells them out for some frames only).

Built in the profile view's job (one Python step per (record, frame)); the CPU
panel lists it and, for a row, the records containing the function
(``records(f)``: CSR offsets), whose samples are "behind" it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["FunctionTable", "elide_type_args", "function_table"]


def elide_type_args(name: str) -> str:
    """``slices.Sort[go.shape.[]int,go.shape.int]`` → ``slices.Sort[...]`` (every
    top-level bracket group; nested brackets included)."""
    if "[" not in name:
        return name
    out: list[str] = []
    depth = 0
    for ch in name:
        if ch == "[":
            if depth == 0:
                out.append("[...]")
            depth += 1
        elif ch == "]":
            depth = max(depth - 1, 0)
        elif depth == 0:
            out.append(ch)
    return "".join(out)


@dataclass(frozen=True, slots=True)
class FunctionTable:
    """One row per function.

    names : (f,) object — function names (type arguments elided)
    flat, cum : (f,) int64 — value (samples, or ns) as leaf / anywhere in the stack
    rec_off : (f + 1,) int64; rec_idx : (m,) int64 — the records (indices into the
        view's records) whose stack contains function ``i``: ``rec_idx[rec_off[i]:rec_off[i+1]]``
    total : the view's total value (the denominator of flat % and cum %)
    """

    names: NDArray[np.object_]
    flat: NDArray[np.int64]
    cum: NDArray[np.int64]
    rec_off: NDArray[np.int64]
    rec_idx: NDArray[np.int64]
    total: int

    def __len__(self) -> int:
        return len(self.names)

    def records(self, i: int) -> NDArray[np.int64]:
        """Records whose stack contains function ``i``."""
        return self.rec_idx[self.rec_off[i] : self.rec_off[i + 1]]


def function_table(frames: Sequence[Sequence[tuple]], values: NDArray[np.int64]) -> FunctionTable:
    """Flat / cum per function of records ``frames`` (per record ``[(pc, func, file,
    line), ...]`` leaf first) weighted by ``values`` (n,) int64. Job thread; pure."""
    index: dict[str, int] = {}
    pairs_f: list[int] = []
    pairs_r: list[int] = []
    leaf: list[int] = []
    for r, fr in enumerate(frames):
        seen: set[int] = set()
        first = -1
        for f in fr:
            name = elide_type_args(f[1])
            i = index.setdefault(name, len(index))
            if first < 0:
                first = i
            if i not in seen:
                seen.add(i)
                pairs_f.append(i)
                pairs_r.append(r)
        if first < 0:  # a sample without a stack
            first = index.setdefault("(no stack)", len(index))
            pairs_f.append(first)
            pairs_r.append(r)
        leaf.append(first)
    n_f = len(index)
    vals = np.asarray(values, np.int64)
    pf = np.asarray(pairs_f, np.int64)
    pr = np.asarray(pairs_r, np.int64)
    flat = np.bincount(np.asarray(leaf, np.int64), weights=vals, minlength=n_f)
    cum = np.bincount(pf, weights=vals[pr], minlength=n_f) if len(pf) else np.zeros(n_f)
    order = np.argsort(pf, kind="stable")
    rec_off = np.zeros(n_f + 1, np.int64)
    np.cumsum(np.bincount(pf, minlength=n_f), out=rec_off[1:])
    names = np.empty(n_f, dtype=object)
    names[:] = list(index)
    return FunctionTable(
        names=names,
        flat=np.rint(flat).astype(np.int64),
        cum=np.rint(cum).astype(np.int64),
        rec_off=rec_off,
        rec_idx=pr[order],
        total=int(vals.sum()),
    )
