"""Fixtures of the hostile-input tests: one sandboxed worker process for the whole session."""

from __future__ import annotations

import pytest
from tests.hostile.harness import Worker, load_sources


@pytest.fixture(scope="session")
def sources() -> dict[str, bytes]:
    return load_sources()


@pytest.fixture(scope="session")
def worker(sources):
    """The harness worker (RLIMIT_AS 6 GiB; a case that takes over 60 s is a hang), warmed
    up on the seed traces whole and cut."""
    with Worker(timeout=60.0, warmup=sources.values()) as w:
        yield w


def assert_no_findings(results) -> None:
    """Fail listing every case whose pipelines did something other than ok/damaged/rejected."""
    bad = [r for r in results if r.findings]
    if bad:
        lines = [f"{len(bad)} of {len(results)} cases failed; first ones:"]
        for r in bad[:5]:
            lines.append(f"--- {r.name}: {r.signature}")
            for p, (_, detail) in r.findings.items():
                lines.append(f"[{p}]\n{detail[-1500:]}")
        pytest.fail("\n".join(lines), pytrace=False)
