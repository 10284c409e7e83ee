"""Write tests/v1/data/go_procs.json: Go's event count per processor ID and per (processor ID,
event kind) for each old-format trace (Go's own output, never ours; ``goprocs/main.go``).

Why: old traces carry per-P batches and fake Ps (tracev1's 1000001-1000004); the events'
P after Go's conversion is what ``test_v1_procs.py`` checks ours against (``tracecount``
reports only how many distinct Ps there are).

    .venv/bin/python tests/v1/make_go_procs.py
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.v1.make_go_variants import GOROOT, traces

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def main() -> None:
    dst = GOROOT / "src/cmd/goroscope_goprocs"  # internal/trace: importable only in GOROOT
    dst.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "GOFLAGS"}
    env.update(GOPROXY="off", GOTOOLCHAIN="local", GOTELEMETRY="off", GOWORK="off")
    with tempfile.TemporaryDirectory() as tmp:
        exe = Path(tmp) / "goprocs"
        try:
            shutil.copy(HERE / "goprocs/main.go", dst / "main.go")
            subprocess.run([str(GOROOT / "bin/go"), "build", "-trimpath", "-o", str(exe), "."],
                           cwd=dst, env=env, check=True)  # fmt: skip
        finally:
            shutil.rmtree(dst)
        result: dict[str, dict] = {}
        for name, cwd, rel in traces():
            line = subprocess.run([str(exe), str(rel)], cwd=cwd, capture_output=True, text=True,
                                  check=True).stdout.strip()  # fmt: skip
            rest = line.split(" ", 1)[1]
            result[name] = {"error": rest[4:]} if rest.startswith("ERR ") else json.loads(rest)
    out = HERE / "data/go_procs.json"
    out.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
    print(f"wrote {out.relative_to(ROOT)} ({len(result)} traces)")


if __name__ == "__main__":
    main()
