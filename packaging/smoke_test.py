# ruff: noqa: T201 (a command-line script: it reports on stdout)
"""Smoke test of the frozen bundle (``make package-test``, after ``make package``).

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/smoke_test.py [TRACE]

Runs dist/goroscope/goroscope in a scrubbed environment (no PYTHON* variables, PATH without the
venv, an empty per-user cache directory) and checks:

1. ``--screenshot OUT.png TRACE`` exits 0 and writes a PNG of at least 1280×800: the GUI,
   pyqtgraph and the load path run frozen, and numba JIT-compiles the kernels in the bundle;
2. numba wrote its cache under $XDG_CACHE_HOME/goroscope/numba (the runtime hook), nothing
   into the bundle;
3. the dynamic loader took libpython from the bundle, not from a Python installation;
4. ``stats --json TRACE`` prints what the venv's ``goroscope stats --json`` prints (apart from
   the fields that measure the run: time, memory).

Prints each step with its wall time; exit status 1 on the first failure.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = ROOT / "dist" / "goroscope"
EXE = BUNDLE / "goroscope"
DEFAULT_TRACE = ROOT / "testdata" / "traces" / "go1.22" / "gc.trace"
MIN_SIZE = (1280, 800)
#: ``stats --json`` fields that measure the run (time, memory) rather than describe the trace.
MEASURED_KEYS = ("seconds", "mb_per_s", "events_per_s", "mem")


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (stdlib only)."""
    head = path.read_bytes()[:24]
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        raise ValueError(f"{path}: not a PNG")
    return struct.unpack(">II", head[16:24])


def clean_env(cache: Path) -> dict[str, str]:
    """The environment a desktop launcher gives the app: no Python, no venv, our cache dir."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTHON", "VIRTUAL_ENV", "NUMBA_", "CONDA", "LD_"))
    }
    env["PATH"] = "/usr/bin:/bin"
    env["XDG_CACHE_HOME"] = str(cache)
    env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def stats_lines(out: str) -> list[dict]:
    rows = [json.loads(line) for line in out.splitlines() if line.strip()]
    for r in rows:
        for k in MEASURED_KEYS:
            r.pop(k, None)
    return rows


def step(name: str, ok: bool, t0: float, detail: str = "") -> None:
    print(f"{'ok  ' if ok else 'FAIL'} {name} ({time.perf_counter() - t0:.1f} s){detail}")
    if not ok:
        sys.exit(1)


def main(argv: list[str]) -> int:
    trace = Path(argv[0]).resolve() if argv else DEFAULT_TRACE
    if not EXE.is_file():
        print(f"FAIL no bundle at {EXE}: run `make package` first")
        return 1
    with tempfile.TemporaryDirectory(prefix="goroscope-smoke-") as tmp:
        tmpd = Path(tmp)
        cache = tmpd / "cache"
        env = clean_env(cache)
        shot = tmpd / "out.png"
        if os.environ.get("GOROSCOPE_SMOKE_PNG"):
            shot = Path(os.environ["GOROSCOPE_SMOKE_PNG"]).resolve()

        t0 = time.perf_counter()
        r = subprocess.run(
            [str(EXE), "--screenshot", str(shot), str(trace)],
            env=env, cwd=tmp, capture_output=True, text=True, timeout=1800,
        )  # fmt: skip
        tail = "\n" + r.stderr[-3000:] if r.returncode else ""
        step(f"--screenshot {trace.name} exits 0", r.returncode == 0, t0, tail)
        w, h = png_size(shot)
        ok = w >= MIN_SIZE[0] and h >= MIN_SIZE[1]
        step(f"screenshot {w}x{h} >= {MIN_SIZE[0]}x{MIN_SIZE[1]}: {shot}", ok, t0)

        numba_dir = cache / "goroscope" / "numba"
        index = list(numba_dir.rglob("*.nbi"))
        in_bundle = list(BUNDLE.rglob("*.nbi"))
        ok = bool(index) and not in_bundle
        step(f"numba cache: {len(index)} kernels in {numba_dir}, {len(in_bundle)} in the bundle",
             ok, t0)  # fmt: skip

        t0 = time.perf_counter()
        env_dbg = dict(env, LD_DEBUG="files", LD_DEBUG_OUTPUT=str(tmpd / "ld"))
        frozen = subprocess.run(
            [str(EXE), "stats", "--json", str(trace)],
            env=env_dbg, cwd=tmp, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        step("frozen stats --json exits 0", frozen.returncode == 0, t0, frozen.stderr[-2000:])
        loaded = set()
        for log in tmpd.glob("ld.*"):
            for line in log.read_text(errors="replace").splitlines():
                if "calling init:" in line and "libpython" in line:
                    loaded.add(line.split("calling init:", 1)[1].strip())
        ok = bool(loaded) and all(p.startswith(str(BUNDLE)) for p in loaded)
        step(f"libpython loaded from the bundle: {sorted(loaded)}", ok, t0)

        t0 = time.perf_counter()
        venv = subprocess.run(
            [sys.executable, "-m", "goroscope", "stats", "--json", str(trace)],
            cwd=tmp, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        ok = venv.returncode == 0 and stats_lines(frozen.stdout) == stats_lines(venv.stdout)
        n = stats_lines(frozen.stdout)[0].get("events") if frozen.stdout.strip() else None
        step(f"stats --json equal to the venv's ({n} events)", ok, t0)
    print(f"bundle {EXE}: smoke test passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
