"""Hostile-input harness: structure-aware mutators, a sandboxed worker, findings on disk.

Shared by the CI property tests (``tests/hostile/test_*.py``, seeded, bounded) and the long
campaign (``make fuzz`` → ``tests/hostile/campaign.py``). The contract it checks (issue 8):
for any bytes, every public entry point of the open path either returns — a result, with
its ``error`` set when the trace is damaged — or raises ``TraceFormatError``; nothing else
(no IndexError/ValueError/MemoryError/numba error), no hang, no blow-up.

Pipelines (run in the worker, each on the same bytes; see :func:`run_pipelines`):

``stats``    ``goroscope.stats(path)`` (never raises by contract: the error is a key)
``session``  the GUI's load path: ``TraceSession`` (index → timeline model → snapshots)
             on an ``ImmediateExecutor``; ``session.error`` must be a TraceFormatError or
             None, ``session.read_error`` holds the damage
``open``     ``goroscope.open(bytes)`` and its tables (goroutine names, ``lost``)
``summary``  ``goroscope.analysis.analyze`` with every blocking/CPU profile → ``summary_of``

Sandbox: each case runs in one long-lived worker *process* (``python -m
tests.hostile.harness --worker``) under ``RLIMIT_AS`` (default 6 GiB), so an allocation
sized by an untrusted number shows up as a MemoryError finding instead of taking the
machine. The parent times every case out (a numba kernel cannot be interrupted by a
signal): a case that does not answer in time is a ``hang``, the worker is killed and
restarted. A worker that dies (segfault, abort) is a ``died`` finding.

Outcomes per pipeline: ``ok`` (read whole), ``damaged`` (returned with an error),
``rejected`` (raised TraceFormatError/UnsupportedVersionError), and the findings
``crash:<ExceptionType>``, ``hang``, ``died``.

Mutators know the framing: :func:`walk_batches` is an independent pure-Python walk of the
batch headers (type byte, experiment byte, uvarints gen, M, time, size; Go 1.26's bare
EndOfGeneration byte), so mutations can rewrite a header field in place, inflate a size,
lengthen a varint and fix the batch size, or move, duplicate and drop whole batches and
generations. Everything is driven by one ``random.Random(seed)``: a case is reproducible
from ``(source, seed)``.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import json
import os
import pickle
import random
import select
import struct
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TESTDATA = ROOT / "testdata"
FUZZ_DIR = TESTDATA / "fuzz"
#: The CI seed traces: real Go runtimes' traces cut after their first N generations (a
#: clean end for Go's reader: tracecount reads them without error). name -> (file, N).
#: Small (22 KB, ~500 events, CPU samples, tasks, regions) so a case costs tens of ms even
#: when damage sends the reader to its pure-Python fallback.
SOURCES = {
    "go1.22-cpuprofile-6gen": ("go1.22/cpuprofile.trace", 6),
    "go1.26-cpuprofile-5gen": ("go1.26/cpuprofile.trace", 5),
}
#: ``make fuzz`` adds whole traces (more event kinds; slower cases).
CAMPAIGN_SOURCES = {
    **SOURCES,
    "go1.22-annotations": ("go1.22/annotations.trace", None),
    "go1.26-annotations": ("go1.26/annotations.trace", None),
    "go1.26-flightrecorder": ("go1.26/flightrecorder.trace", None),
    "go1.22-restart": ("go1.22/restart.trace", None),
    "go1.26-iterpull-2gen": ("go1.26/iterpull.trace", 2),
    "go1.26-allocfree-1gen": ("go1.26/allocfree.trace", 1),
}
PIPELINES = ("stats", "session", "open", "summary")
#: the CI's bulk cases skip ``open`` (the same reader pass as ``stats`` plus its tables; the
#: campaign, the seeds and the targeted cases run it) to stay within 2 minutes of CPU
CI_PIPELINES = ("stats", "session", "summary")
GOOD = frozenset({"ok", "damaged", "rejected"})
HEADER_SIZE = 16
EV_BATCH, EV_EXPERIMENTAL_BATCH, EV_END_OF_GENERATION = 1, 49, 52

# ----------------------------------------------------------------------------------------
# wire helpers (independent of goroscope.format: the harness must not trust the code it tests)


def uvarint(b: bytes | bytearray, pos: int) -> tuple[int, int] | None:
    """(value, end) of the uvarint at ``pos`` (any length ≤ 10), or None if it runs out."""
    x = shift = 0
    for i in range(pos, min(len(b), pos + 10)):
        c = b[i]
        x |= (c & 0x7F) << shift
        if c < 0x80:
            return x, i + 1
        shift += 7
    return None


def put_uvarint(x: int, width: int = 0) -> bytes:
    """``x`` as a uvarint, padded with continuation bytes to ``width`` bytes if given."""
    out = bytearray()
    while True:
        c = x & 0x7F
        x >>= 7
        out.append(c | 0x80)
        if x == 0:
            break
    out[-1] &= 0x7F
    while len(out) < width:
        out[-1] |= 0x80
        out.append(0)
    return bytes(out)


@dataclasses.dataclass(frozen=True, slots=True)
class Field:
    name: str  # gen, m, time, size
    start: int
    end: int
    value: int


@dataclasses.dataclass(frozen=True, slots=True)
class Batch:
    """One batch (or a 1.26 EndOfGeneration byte: ``eog``) as framed on the wire."""

    offset: int
    data_start: int
    data_end: int
    fields: tuple[Field, ...]
    eog: bool = False

    @property
    def end(self) -> int:
        return self.data_end

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    @property
    def gen(self) -> int:
        f = self.field("gen")
        return -1 if f is None else f.value


def walk_batches(data: bytes | bytearray) -> list[Batch]:
    """Batch framing of ``data`` up to the first problem (never raises)."""
    out: list[Batch] = []
    pos = HEADER_SIZE
    n = len(data)
    while pos < n:
        t = data[pos]
        if t == EV_END_OF_GENERATION:
            out.append(Batch(pos, pos + 1, pos + 1, (), eog=True))
            pos += 1
            continue
        if t not in (EV_BATCH, EV_EXPERIMENTAL_BATCH):
            break
        p = pos + 1 + (t == EV_EXPERIMENTAL_BATCH)
        fields = []
        for name in ("gen", "m", "time", "size"):
            r = uvarint(data, p)
            if r is None:
                return out
            fields.append(Field(name, p, r[1], r[0]))
            p = r[1]
        size = fields[-1].value
        if size > 1 << 16 or p + size > n:
            break
        out.append(Batch(pos, p, p + size, tuple(fields)))
        pos = p + size
    return out


def generations(batches: list[Batch]) -> list[tuple[int, int]]:
    """Byte ranges ``[start, end)`` of runs of batches with the same gen (EOG bytes joined)."""
    out: list[tuple[int, int]] = []
    cur = None
    for b in batches:
        if b.eog:
            if out:
                out[-1] = (out[-1][0], b.end)
            cur = None
            continue
        if cur is not None and b.gen == cur and out:
            out[-1] = (out[-1][0], b.end)
        else:
            out.append((b.offset, b.end))
            cur = b.gen
    return out


# ----------------------------------------------------------------------------------------
# mutators: (rng, data, batches) -> (new bytes, description)

INTERESTING = (0, 1, 0x7F, 0x80, 0xFF, 0xFFFF, 1 << 16, (1 << 16) + 1, 1 << 31, 1 << 32,
               1 << 40, (1 << 63) - 1, 1 << 63, (1 << 64) - 1)  # fmt: skip


def _data_batches(batches: list[Batch]) -> list[Batch]:
    return [b for b in batches if not b.eog and b.data_end > b.data_start]


def _set_field(data: bytearray, b: Batch, name: str, value: int) -> bytearray:
    f = b.field(name)
    assert f is not None
    enc = put_uvarint(value, width=f.end - f.start)
    return data[: f.start] + enc + data[f.end :]


def _fix_size(data: bytearray, b: Batch, delta: int) -> bytearray:
    """Add ``delta`` to batch ``b``'s size field (rewritten, padded to its old width)."""
    return _set_field(data, b, "size", max(0, b.field("size").value + delta))


def m_bit_flip(rng, data, batches):
    d = bytearray(data)
    k = rng.randint(1, 4)
    at = []
    for _ in range(k):
        i = rng.randrange(HEADER_SIZE, len(d))
        d[i] ^= 1 << rng.randrange(8)
        at.append(i)
    return d, f"bit_flip@{at}"


def m_byte_set(rng, data, batches):
    d = bytearray(data)
    i = rng.randrange(HEADER_SIZE, len(d))
    v = rng.choice((0x00, 0x01, 0x7F, 0x80, 0xFF, rng.randrange(256)))
    d[i] = v
    return d, f"byte_set@{i}={v:#x}"


def m_header_field(rng, data, batches):
    """Rewrite a batch header field (gen, M, time or size) to an interesting value."""
    bs = [b for b in batches if not b.eog]
    b = rng.choice(bs)
    name = rng.choice(("gen", "m", "time", "size"))
    f = b.field(name)
    v = rng.choice((*INTERESTING, f.value + 1, max(0, f.value - 1), f.value + rng.randint(2, 9)))
    return _set_field(bytearray(data), b, name, v), f"header_{name}@{b.offset}={v}"


def m_inflate_size(rng, data, batches):
    """A size field claiming far more bytes than the batch (up to 2^64-1)."""
    b = rng.choice([b for b in batches if not b.eog])
    v = rng.choice(
        (b.field("size").value + 1, 65535, 65536, 65537, 1 << 31, 1 << 40, (1 << 64) - 1)
    )
    return _set_field(bytearray(data), b, "size", v), f"inflate_size@{b.offset}={v}"


def m_varint_longer(rng, data, batches):
    """Re-encode a varint inside a batch non-minimally (+1..4 bytes) and fix the batch size."""
    b = rng.choice(_data_batches(batches))
    i = rng.randrange(b.data_start, b.data_end)
    while i > b.data_start and data[i - 1] >= 0x80:  # back to the varint's first byte
        i -= 1
    r = uvarint(data, i)
    if r is None or r[1] > b.data_end:
        return bytearray(data), "varint_longer(none)"
    v, end = r
    width = min(10, end - i + rng.randint(1, 4))
    d = bytearray(data[:i]) + put_uvarint(v, width) + data[end:]
    return _fix_size(d, b, width - (end - i)), f"varint_longer@{i}:{end - i}->{width}"


def m_varint_overlong(rng, data, batches):
    """A varint of 11+ bytes or a value ≥ 2^64 (Go: overflow), in a header or in data."""
    if rng.random() < 0.5:
        b = rng.choice([b for b in batches if not b.eog])
        f = b.field(rng.choice(("gen", "m", "time", "size")))
        i, end = f.start, f.end
    else:
        b = rng.choice(_data_batches(batches))
        i = rng.randrange(b.data_start, b.data_end)
        r = uvarint(data, i)
        end = min(r[1] if r else i + 1, b.data_end)
    d = bytearray(data[:i]) + b"\xff" * rng.randint(10, 12) + b"\x01" + data[end:]
    return d, f"varint_overlong@{i}"


def m_huge_value(rng, data, batches):
    """Replace a varint inside event data by a huge value (IDs, counts, args) and fix the size."""
    b = rng.choice(_data_batches(batches))
    i = rng.randrange(b.data_start, b.data_end)
    while i > b.data_start and data[i - 1] >= 0x80:
        i -= 1
    r = uvarint(data, i)
    if r is None or r[1] > b.data_end:
        return bytearray(data), "huge_value(none)"
    v = rng.choice(INTERESTING[6:])
    enc = put_uvarint(v)
    d = bytearray(data[:i]) + enc + data[r[1] :]
    return _fix_size(d, b, len(enc) - (r[1] - i)), f"huge_value@{i}={v}"


def m_swap_batches(rng, data, batches):
    bs = [b for b in batches if not b.eog]
    if len(bs) < 2:
        return bytearray(data), "swap(none)"
    x, y = sorted(rng.sample(bs, 2), key=lambda b: b.offset)
    d = data[: x.offset] + data[y.offset : y.end] + data[x.end : y.offset]
    d += data[x.offset : x.end] + data[y.end :]
    return bytearray(d), f"swap_batches@{x.offset},{y.offset}"


def m_dup_batch(rng, data, batches):
    b = rng.choice([b for b in batches if not b.eog])
    at = rng.choice([c.offset for c in batches] + [len(data)])
    return bytearray(data[:at] + data[b.offset : b.end] + data[at:]), f"dup_batch@{b.offset}->{at}"


def m_drop_batch(rng, data, batches):
    b = rng.choice(batches)
    return bytearray(data[: b.offset] + data[b.end :]), f"drop_batch@{b.offset}"


def m_generation(rng, data, batches):
    """Swap, duplicate or drop a whole generation."""
    gens = generations(batches)
    if not gens:
        return bytearray(data), "generation(none)"
    op = rng.choice(("swap", "dup", "drop"))
    a, b = rng.choice(gens)
    if op == "drop":
        return bytearray(data[:a] + data[b:]), f"drop_gen@{a}"
    if op == "dup":
        at = rng.choice([g[0] for g in gens] + [len(data)])
        return bytearray(data[:at] + data[a:b] + data[at:]), f"dup_gen@{a}->{at}"
    if len(gens) < 2:
        return bytearray(data), "swap_gen(none)"
    (a, b), (c, e) = sorted(rng.sample(gens, 2))
    return bytearray(data[:a] + data[c:e] + data[b:c] + data[a:b] + data[e:]), f"swap_gen@{a},{c}"


def m_shorten_batch(rng, data, batches):
    """Cut bytes out of a batch's body, leaving its size field as is."""
    b = rng.choice(_data_batches(batches))
    i = rng.randrange(b.data_start, b.data_end)
    k = rng.randint(1, min(16, b.data_end - i))
    return bytearray(data[:i] + data[i + k :]), f"shorten_batch@{i}-{k}"


def m_splice(rng, data, batches):
    """Copy a random run of bytes over another place (or insert it)."""
    n = len(data)
    k = rng.randint(1, 64)
    src = rng.randrange(HEADER_SIZE, max(HEADER_SIZE + 1, n - k))
    dst = rng.randrange(HEADER_SIZE, n)
    chunk = data[src : src + k]
    if rng.random() < 0.5:
        return bytearray(
            data[:dst] + chunk + data[dst + len(chunk) :]
        ), f"splice_over@{src}->{dst}+{k}"
    return bytearray(data[:dst] + chunk + data[dst:]), f"splice_in@{src}->{dst}+{k}"


def m_insert_delete(rng, data, batches):
    i = rng.randrange(HEADER_SIZE, len(data))
    if rng.random() < 0.5:
        k = rng.randint(1, 8)
        return bytearray(data[:i] + data[i + k :]), f"delete@{i}+{k}"
    ins = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
    return bytearray(data[:i] + ins + data[i:]), f"insert@{i}+{len(ins)}"


def m_truncate(rng, data, batches):
    i = rng.randrange(0, len(data))
    return bytearray(data[:i]), f"truncate@{i}"


def m_header(rng, data, batches):
    """Damage the 16-byte version header (other Go versions, v1 headers, garbage)."""
    d = bytearray(data)
    heads = (b"go 1.22 trace\x00\x00\x00", b"go 1.23 trace\x00\x00\x00", b"go 1.25 trace\x00\x00\x00",
             b"go 1.26 trace\x00\x00\x00", b"go 1.21 trace\x00\x00\x00", b"go 1.99 trace\x00\x00\x00")  # fmt: skip
    if rng.random() < 0.7:
        d[:16] = rng.choice(heads)
        return d, f"header={bytes(d[:7])!r}"
    d[rng.randrange(16)] = rng.randrange(256)
    return d, "header_byte"


MUTATORS: tuple[tuple[Callable, float], ...] = (
    (m_bit_flip, 3),
    (m_byte_set, 2),
    (m_header_field, 3),
    (m_inflate_size, 1.5),
    (m_varint_longer, 2),
    (m_varint_overlong, 1.5),
    (m_huge_value, 3),
    (m_swap_batches, 1.5),
    (m_dup_batch, 1.5),
    (m_drop_batch, 1),
    (m_generation, 1.5),
    (m_shorten_batch, 1),
    (m_splice, 1.5),
    (m_insert_delete, 1.5),
    (m_truncate, 1),
    (m_header, 0.3),
)
_FUNCS = [m for m, _ in MUTATORS]
_WEIGHTS = [w for _, w in MUTATORS]


def mutate(data: bytes, seed: int, *, max_steps: int = 3) -> tuple[bytes, list[str]]:
    """Apply 1..max_steps mutators to ``data``, chosen by ``random.Random(seed)``."""
    rng = random.Random(seed)
    d = bytearray(data)
    done: list[str] = []
    for _ in range(rng.randint(1, max_steps)):
        batches = walk_batches(d)
        if len(d) <= HEADER_SIZE + 1 or not _data_batches(batches):
            break
        m = rng.choices(_FUNCS, _WEIGHTS)[0]
        d, what = m(rng, d, batches)
        done.append(what)
    return bytes(d), done


def truncation_offsets(data: bytes, stride: int, dense: bool = False) -> list[int]:
    """Offsets to cut ``data`` at: each distinct place inside every (``dense``) or every
    other batch header (each varint's first and second byte; the others get their first
    byte and their data's), the first and last bytes of each batch's data,
    every ``stride``-th offset elsewhere, the first 64 bytes and the last 8."""
    n = len(data)
    cuts = set(range(0, min(n, 64)))
    for i, b in enumerate(walk_batches(data)):
        cuts.update((b.offset, b.data_start))
        if i % 2 and not dense:
            continue
        # the type byte, each header varint's first and second byte (a cut inside a varint;
        # its last byte would be the same case), the data's first two bytes and its last:
        # every distinct way to stop inside a header (every other batch unless ``dense``)
        cuts.update((b.offset + 1, b.data_start + 1, b.end - 1))
        for f in b.fields:
            cuts.update((f.start, f.start + 1))
    cuts.update(range(0, n, stride))
    cuts.update(range(max(0, n - 8), n + 1))
    return sorted(c for c in cuts if 0 <= c <= n)


# ----------------------------------------------------------------------------------------
# the pipelines (worker side)


def _classify(fn: Callable[[], str]) -> tuple[str, str]:
    from goroscope.format.errors import TraceFormatError

    try:
        return fn(), ""
    except TraceFormatError as e:
        return "rejected", str(e)[:200]
    except BaseException as e:  # noqa: BLE001 - anything else is a finding
        if isinstance(e, KeyboardInterrupt):
            raise
        tb = traceback.format_exc(limit=-8)
        return f"crash:{type(e).__name__}", tb[-4000:]


def _run_stats(path: str) -> str:
    import goroscope

    s = goroscope.stats(path)
    if not isinstance(s, dict) or "events" not in s and "error" not in s:
        raise AssertionError(f"stats returned {s!r}")
    return "damaged" if "error" in s else "ok"


def _run_session(path: str) -> str:
    from goroscope.format.errors import TraceFormatError
    from goroscope.jobs.executor import ImmediateExecutor
    from goroscope.jobs.session import Stage, TraceSession

    snaps: list = []
    s = TraceSession(path, ImmediateExecutor(), on_timeline=snaps.append, chunk_events=1 << 12)
    try:
        s.start()
        if s.error is not None:
            raise s.error
        if s.stage < Stage.STACKS_READY or s.timeline is None or not snaps:
            raise AssertionError(f"session stopped at {s.stage!r} without an error")
        d = s.details  # what a click on a span asks (re-decodes that span's generation)
        tl = s.timeline
        for g in range(min(2, tl.n_goroutines)):
            n = len(tl.goroutine_row(g).gen)
            if n:
                d.span(g, 0)
                d.span(g, n - 1)
        err = s.read_error
        if err is not None and not isinstance(err, TraceFormatError):
            raise AssertionError(f"read_error is {type(err).__name__}")
        return "damaged" if err is not None else "ok"
    finally:
        s.close()


def _run_open(data: bytes) -> str:
    import goroscope

    with goroscope.open(data) as t:
        t.goroutines.names()
        _ = t.lost, t.num_events, len(t.procs), len(t.threads)
        return "damaged" if t.error is not None else "ok"


def _run_summary(data: bytes) -> str:
    from goroscope.analysis.summary import analyze, summary_of

    a = analyze(data, profiles=("net", "sync", "syscall", "sched", "cpu"))
    s = summary_of(a)
    return "damaged" if s.get("error") else "ok"


def run_pipelines(data: bytes, path: str, pipelines: Iterable[str] = PIPELINES) -> dict:
    """Outcome of every pipeline on ``data`` (also written at ``path``) → {name: (outcome, detail)}."""
    with open(path, "wb") as f:
        f.write(data)
    runs = {
        "stats": lambda: _run_stats(path),
        "session": lambda: _run_session(path),
        "open": lambda: _run_open(data),
        "summary": lambda: _run_summary(data),
    }
    return {p: _classify(runs[p]) for p in pipelines}


def _reset_peak_rss() -> None:
    """Linux: restart this process's peak-RSS count (VmHWM) for the next case."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def _peak_rss() -> int:
    """Peak RSS (bytes) since :func:`_reset_peak_rss` (VmHWM), or 0 if unknown."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def worker_main() -> None:
    """Read length-prefixed pickled (data, pipelines) from stdin, answer on the original stdout."""
    import resource

    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything printed goes to stderr, never into the protocol
    limit = int(os.environ.get("HOSTILE_MEM_LIMIT", 6 << 30))
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    tmpdir = Path("/dev/shm") if os.access("/dev/shm", os.W_OK) else Path("/tmp")
    path = str(tmpdir / f"goroscope-hostile-{os.getpid()}.trace")
    inp = sys.stdin.buffer
    try:
        while True:
            head = inp.read(4)
            if len(head) < 4:
                return
            data, pipelines = pickle.loads(inp.read(struct.unpack("<I", head)[0]))
            gc.collect()  # the previous case's reference cycles (sessions) go first
            _reset_peak_rss()
            start_rss = _peak_rss()
            t0 = time.perf_counter()
            res = run_pipelines(data, path, pipelines)
            ans = {
                "outcomes": res,
                "seconds": time.perf_counter() - t0,
                "maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                "peak_rss": _peak_rss(),
                "start_rss": start_rss,
            }
            msg = pickle.dumps(ans)
            out.write(struct.pack("<I", len(msg)) + msg)
            out.flush()
    finally:
        Path(path).unlink(missing_ok=True)


# ----------------------------------------------------------------------------------------
# the parent side


@dataclasses.dataclass
class Result:
    name: str
    data: bytes
    outcomes: dict  # pipeline -> (outcome, detail)
    seconds: float
    peak_rss: int = 0  # the worker's peak RSS while it ran this case (bytes; 0 if unknown)
    start_rss: int = 0  # its RSS when the case started

    @property
    def growth(self) -> int:
        """Peak RSS above the RSS at the start of the case (bytes)."""
        return self.peak_rss - self.start_rss

    @property
    def findings(self) -> dict:
        return {p: o for p, o in self.outcomes.items() if o[0] not in GOOD}

    @property
    def signature(self) -> str:
        """What failed, not where: ``pipeline:outcome`` plus the innermost goroscope frame."""
        parts = []
        for p, (o, detail) in sorted(self.findings.items()):
            frame = ""
            for line in detail.splitlines():
                if "goroscope/" in line and line.strip().startswith("File"):
                    frame = line.split("goroscope/")[-1].split('"')[0] + line.split(",")[-1]
            parts.append(f"{p}:{o}{('@' + frame.strip()) if frame else ''}")
        return ";".join(parts)


class Worker:
    """One sandboxed worker process; :meth:`run` returns a :class:`Result` (never raises for the
    case itself: hangs and deaths are outcomes)."""

    def __init__(
        self,
        timeout: float = 30.0,
        nice: int = 0,
        mem_limit: int | None = None,
        warmup: Iterable[bytes] = (),
    ) -> None:
        self.timeout = timeout
        self.warmup = [bytes(w) for w in warmup]
        self.nice = nice
        self.mem_limit = mem_limit
        self.proc: subprocess.Popen | None = None
        self.restarts = 0
        self.maxrss = 0

    def _start(self) -> None:
        env = dict(os.environ)
        # this checkout's package first (a snapshot's harness tests the snapshot's code)
        env["PYTHONPATH"] = os.pathsep.join(
            [str(ROOT / "app"), str(ROOT), env.get("PYTHONPATH", "")]
        )
        if self.mem_limit:
            env["HOSTILE_MEM_LIMIT"] = str(self.mem_limit)
        cmd = [sys.executable, "-c", "from tests.hostile.harness import worker_main; worker_main()"]
        if self.nice:
            cmd = ["nice", "-n", str(self.nice), *cmd]
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT, env=env
        )

    def close(self) -> None:
        if self.proc is not None:
            try:
                self.proc.stdin.close()
                self.proc.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
            self.proc = None

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None
            self.restarts += 1

    def _read(self, n: int, deadline: float) -> bytes | None:
        buf = b""
        fd = self.proc.stdout.fileno()
        while len(buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([fd], [], [], left)
            if not r:
                return None
            chunk = os.read(fd, n - len(buf))
            if not chunk:
                return b""  # the worker died
            buf += chunk
        return buf

    def run(self, name: str, data: bytes, pipelines: Iterable[str] = PIPELINES) -> Result:
        pipelines = tuple(pipelines)
        if self.proc is None:
            self._start()
            # load (or compile) the JIT caches on intact and cut traces: not timed as cases
            for w in self.warmup or [b"go 1.26 trace\x00\x00\x00"]:
                for d in (w, w[: len(w) * 2 // 3]):
                    if isinstance(self._ask(d, pipelines, 1200.0), str):
                        raise RuntimeError("the hostile-input worker failed on its warm-up traces")
        t0 = time.perf_counter()
        ans = self._ask(data, pipelines, self.timeout)
        dt = time.perf_counter() - t0
        if isinstance(ans, str):
            self._kill()
            return Result(name, data, dict.fromkeys(pipelines, (ans, "")), dt)
        self.maxrss = max(self.maxrss, ans["maxrss"])
        return Result(
            name, data, ans["outcomes"], ans["seconds"], ans["peak_rss"], ans["start_rss"]
        )

    def _ask(self, data: bytes, pipelines: tuple, timeout: float) -> dict | str:
        msg = pickle.dumps((bytes(data), pipelines))
        try:
            self.proc.stdin.write(struct.pack("<I", len(msg)) + msg)
            self.proc.stdin.flush()
        except BrokenPipeError:
            return "died"
        deadline = time.monotonic() + timeout
        head = self._read(4, deadline)
        if head is None:
            return "hang"
        if len(head) < 4:
            return "died"
        body = self._read(struct.unpack("<I", head)[0], deadline + 5)
        if not body:
            return "died" if body == b"" else "hang"
        return pickle.loads(body)


def mutation_cases(
    seeds: Iterable[int], sources: dict[str, bytes], small_first: int = 1
) -> Iterator[tuple[str, bytes, list[str]]]:
    """(name, bytes, steps) for each seed, round-robin over the sources (the CI's small
    :data:`SOURCES` listed ``small_first`` times each, so they get that much more of the cases)."""
    names = sorted(sources)
    names = [n for n in names if n in SOURCES] * (small_first - 1) + names
    for seed in seeds:
        src = names[seed % len(names)]
        data, steps = mutate(sources[src], seed)
        yield f"{src}/seed{seed}", data, steps


def load_sources(which: dict | None = None) -> dict[str, bytes]:
    """name -> bytes of each seed trace (cut after its first N generations when N is set)."""
    out = {}
    for name, (rel, n_gen) in (which or SOURCES).items():
        data = (TESTDATA / "traces" / rel).read_bytes()
        if n_gen is not None:
            data = data[: generations(walk_batches(data))[n_gen - 1][1]]
        out[name] = data
    return out


def same_failure(worker: Worker, data: bytes, signature: str) -> bool:
    r = worker.run("min", data)
    return r.signature == signature


def minimize(worker: Worker, data: bytes, signature: str, budget_s: float = 60.0) -> bytes:
    """Cheap minimization: the shortest prefix (binary search), then drop whole batches."""
    t_end = time.monotonic() + budget_s
    lo, hi = HEADER_SIZE, len(data)
    while lo < hi and time.monotonic() < t_end:
        mid = (lo + hi) // 2
        if same_failure(worker, data[:mid], signature):
            hi = mid
        else:
            lo = mid + 1
    if same_failure(worker, data[:hi], signature):
        data = data[:hi]
    i = 0
    while time.monotonic() < t_end:
        batches = walk_batches(data)
        if i >= len(batches):
            break
        b = batches[i]
        cand = data[: b.offset] + data[b.end :]
        if same_failure(worker, cand, signature):
            data = cand
        else:
            i += 1
    return data


def save_finding(
    result: Result, data: bytes, steps: list[str], *, source: str, seed: int | None
) -> Path:
    """Write ``testdata/fuzz/<pipeline>-<outcome>-<sha8>.trace`` and its entry in findings.json."""
    FUZZ_DIR.mkdir(parents=True, exist_ok=True)
    p, (outcome, _) = sorted(result.findings.items())[0]
    tag = outcome.replace("crash:", "").lower()
    sha = hashlib.sha256(data).hexdigest()[:8]
    path = FUZZ_DIR / f"{p}-{tag}-{sha}.trace"
    path.write_bytes(data)
    manifest = FUZZ_DIR / "findings.json"
    entries = json.loads(manifest.read_text()) if manifest.exists() else {}
    entries[path.name] = {
        "signature": result.signature,
        "source": source,
        "seed": seed,
        "mutations": steps,
        "detail": {k: v[1][-1500:] for k, v in result.findings.items()},
        "status": "open",
    }
    manifest.write_text(json.dumps(entries, indent=1, sort_keys=True) + "\n")
    return path


if __name__ == "__main__":  # pragma: no cover
    if sys.argv[1:] == ["--worker"]:
        worker_main()
