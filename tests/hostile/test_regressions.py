"""Replay every finding of the fuzz campaigns (``testdata/fuzz/*.trace``) through every pipeline.

``make fuzz`` writes each new failure there, minimized, with an entry in
``testdata/fuzz/findings.json`` (signature, source trace, seed, mutations, traceback and
``status``). A finding whose fix is not in yet has ``"status": "open"`` and a ``reason``:
it is replayed as a strict xfail, so the fix turns it into an error to update the entry.
"""

from __future__ import annotations

import json

import pytest
from tests.hostile.conftest import assert_no_findings
from tests.hostile.harness import FUZZ_DIR

MANIFEST = FUZZ_DIR / "findings.json"


def _entries() -> dict:
    return json.loads(MANIFEST.read_text()) if MANIFEST.exists() else {}


def _cases():
    out = []
    for name, e in sorted(_entries().items()):
        marks = []
        if e.get("status") != "fixed":
            marks.append(pytest.mark.xfail(strict=True, reason=e.get("reason", e["signature"])))
        out.append(pytest.param(name, id=name, marks=marks))
    return out


def test_manifest_lists_every_file():
    files = {p.name for p in FUZZ_DIR.glob("*.trace")}
    assert files == set(_entries())
    for e in _entries().values():
        assert {"signature", "source", "mutations", "status"} <= set(e)


@pytest.mark.parametrize("name", _cases())
def test_replay_finding(worker, name):
    r = worker.run(name, (FUZZ_DIR / name).read_bytes())
    assert_no_findings([r])
