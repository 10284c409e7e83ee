"""Test-side trace writer: Go's raw *text* trace format and txtar ``.test`` files → wire bytes.

A port of the GOROOT's ``src/internal/trace/raw`` (``textreader.go``,
``writer.go``) and of ``internal/testtrace.ParseFile``; event names, argument
names and flags come from :mod:`goroscope.format.spec` (Go's per-version spec
prefix, so a Go 1.22 text trace can only name Go 1.22 events, as in Go).

* :func:`read_text` — text → ``(version, [RawEvent, ...])``
* :func:`write_binary` — raw events → bytes (header, minimal uvarints, data
  trailers; the ``EventBatch`` ``size`` is taken from the text, as Go does)
* :func:`parse_test` / :func:`load_test` — a txtar ``.test`` file → :class:`TestCase`
* :func:`to_go126` — rewrite a Go 1.22/1.23/1.25 event list as Go 1.26: sync
  batches gain ``Sync``/``ClockSnapshot`` as needed and every generation ends
  with the ``EndOfGeneration`` byte (what Go's ``testgen`` writes for 1.26+)
* :func:`text_to_binary` — the two steps at once
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from goroscope.format.spec import EVENT_SPECS, EventType, specs_for
from goroscope.format.version import Version

__all__ = [
    "RawEvent",
    "TestCase",
    "load_test",
    "parse_test",
    "parse_txtar",
    "read_text",
    "text_to_binary",
    "to_go126",
    "uvarint",
    "write_binary",
]

_FRAME_FIELDS = ("pc", "func", "file", "line")


@dataclass
class RawEvent:
    """Go's ``raw.Event``: type, args (frames appended for ``Stack``), data trailer."""

    ev: int
    args: list[int] = field(default_factory=list)
    data: bytes | None = None

    @property
    def name(self) -> str:
        return EVENT_SPECS[self.ev].name

    def encoded_size(self) -> int:
        """Go's ``Event.EncodedSize``: bytes this event takes inside a batch."""
        n = 1 + sum(len(uvarint(a)) for a in self.args)
        if EVENT_SPECS[self.ev].has_data:
            d = self.data or b""
            n += len(uvarint(len(d))) + len(d)
        return n


def uvarint(x: int) -> bytes:
    """Minimal unsigned LEB128 (Go's ``binary.AppendUvarint``)."""
    if x < 0:
        raise ValueError(x)
    out = bytearray()
    while x >= 0x80:
        out.append((x & 0x7F) | 0x80)
        x >>= 7
    out.append(x)
    return bytes(out)


# --- text format (raw/textreader.go) ---------------------------------------------------------


def _read_token(s: str) -> tuple[str, str]:
    i = 0
    while i < len(s):
        if s[i] == "#":
            return "", ""
        if not s[i].isspace():
            break
        i += 1
    else:
        return "", ""
    j = i
    while j < len(s) and not s[j].isspace() and s[j] != "#":
        j += 1
    return s[i:j], s[j:]


def _read_args(s: str, names) -> list[int]:
    args = []
    for name in names:
        tok, s = _read_token(s)
        if not tok:
            raise ValueError("no argument")
        if "=" not in tok:
            raise ValueError(f"malformed argument: {tok!r}")
        arg, val = tok.split("=", 1)
        if arg != name:
            raise ValueError(f"expected argument {name!r}, but got {arg!r}")
        if not val.isdigit():
            raise ValueError(f"failed to parse argument value {val!r} for arg {arg!r}")
        args.append(int(val))
    if s.strip():
        raise ValueError(f"encountered unexpected non-space at the end of an event: {s!r}")
    return args


_SIMPLE_ESCAPES = {
    "a": 7,
    "b": 8,
    "f": 12,
    "n": 10,
    "r": 13,
    "t": 9,
    "v": 11,
    "\\": 92,
    "'": 39,
    '"': 34,
}


def go_unquote(q: str) -> bytes:
    """Go's ``strconv.Unquote`` for a double-quoted literal, as bytes."""
    if len(q) < 2 or q[0] != '"' or q[-1] != '"':
        raise ValueError(f"not a quoted string: {q!r}")
    s = q[1:-1]
    out = bytearray()
    i = 0
    while i < len(s):
        c = s[i]
        if c != "\\":
            out += c.encode("utf-8")
            i += 1
            continue
        e = s[i + 1]
        if e in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[e])
            i += 2
        elif e == "x":
            out.append(int(s[i + 2 : i + 4], 16))
            i += 4
        elif e in "01234567":
            out.append(int(s[i + 1 : i + 4], 8))
            i += 4
        elif e == "u":
            out += chr(int(s[i + 2 : i + 6], 16)).encode("utf-8")
            i += 6
        elif e == "U":
            out += chr(int(s[i + 2 : i + 10], 16)).encode("utf-8")
            i += 10
        else:
            raise ValueError(f"bad escape \\{e}")
    return bytes(out)


def read_text(text: str) -> tuple[Version, list[RawEvent]]:
    """Go's ``raw.TextReader``: the header line, then one event per line."""
    lines = [ln for ln in text.splitlines() if _read_token(ln)[0]]
    if not lines:
        raise ValueError("empty text trace")
    tok, rest = _read_token(lines[0])
    if tok != "Trace":
        raise ValueError("failed to parse header")
    gover, rest = _read_token(rest)
    if not gover.startswith("Go1."):
        raise ValueError("failed to parse header Go version")
    version = Version(int(gover[len("Go1.") :]))
    if rest.strip():
        raise ValueError(f"encountered unexpected non-space at the end of the header: {rest!r}")
    specs = specs_for(version)
    names = {s.name: i for i, s in enumerate(specs) if s.name}
    events: list[RawEvent] = []
    i = 1
    while i < len(lines):
        name, rest = _read_token(lines[i])
        i += 1
        if name not in names:
            raise ValueError(f"unidentified event: {name}")
        ev = names[name]
        spec = specs[ev]
        args = _read_args(rest, spec.args)
        data = None
        if spec.is_stack:
            for _ in range(args[1]):
                args += _read_args(lines[i], _FRAME_FIELDS)
                i += 1
        if spec.has_data:
            dk, _, dv = lines[i].partition("=")
            i += 1
            if dk.strip() != "data":
                raise ValueError(f"malformed data: {lines[i - 1]!r}")
            data = go_unquote(dv.strip())
        events.append(RawEvent(ev, args, data))
    return version, events


# --- wire writer (raw/writer.go) -------------------------------------------------------------


def write_binary(version: Version, events: list[RawEvent]) -> bytes:
    """Go's ``raw.Writer``: header, then each event's type byte, uvarint args, data trailer."""
    out = bytearray(b"go 1.%d trace\x00\x00\x00" % int(version))
    specs = specs_for(version)
    for e in events:
        spec = specs[e.ev]
        out.append(e.ev)
        for a in e.args[: len(spec.args)]:
            out += uvarint(a)
        if spec.is_stack:
            for a in e.args[len(spec.args) :]:
                out += uvarint(a)
        if spec.has_data:
            d = e.data or b""
            out += uvarint(len(d))
            out += d
    return bytes(out)


def text_to_binary(text: str) -> tuple[Version, bytes]:
    version, events = read_text(text)
    return version, write_binary(version, events)


# --- Go 1.26 rewrite -------------------------------------------------------------------------


def _batches(events: list[RawEvent]) -> list[tuple[RawEvent, list[RawEvent], bool]]:
    """Split a raw event list into (batch header, body events, complete) by the headers' ``size``."""
    out: list[tuple[RawEvent, list[RawEvent], bool]] = []
    i = 0
    while i < len(events):
        h = events[i]
        i += 1
        if h.ev in (EventType.EndOfGeneration, EventType.ExperimentalBatch):
            out.append((h, [], True))
            continue
        if h.ev != EventType.EventBatch:
            raise ValueError(f"expected a batch header, got {h.name}")
        size = h.args[3]
        body: list[RawEvent] = []
        n = 0
        while n < size and i < len(events):
            body.append(events[i])
            n += events[i].encoded_size()
            i += 1
        out.append((h, body, n == size))
    return out


def to_go126(version: Version, events: list[RawEvent]) -> list[RawEvent]:
    """Rewrite a v2 event list as a Go 1.26 trace (see the module doc)."""
    out: list[RawEvent] = []
    cur_gen = None
    for h, body, complete in _batches(events):
        if h.ev == EventType.EndOfGeneration:
            out.append(h)
            cur_gen = None
            continue
        gen = h.args[0] if h.ev == EventType.EventBatch else h.args[1]
        if cur_gen is not None and gen != cur_gen:
            out.append(RawEvent(EventType.EndOfGeneration))
        cur_gen = gen
        if (
            h.ev == EventType.EventBatch
            and version < Version.GO125
            and body
            and body[0].ev == EventType.Frequency
        ):
            body = [
                RawEvent(EventType.Sync),
                body[0],
                RawEvent(EventType.ClockSnapshot, [0, 0, 0, 0]),
                *body[1:],
            ]
        if h.ev == EventType.EventBatch and complete:  # a truncated batch keeps its size
            size = sum(e.encoded_size() for e in body)
            h = RawEvent(h.ev, [*h.args[:3], size])
        out.append(h)
        out.extend(body)
    if cur_gen is not None:
        out.append(RawEvent(EventType.EndOfGeneration))
    return out


# --- txtar .test files (internal/testtrace) -------------------------------------------------

_MARKER = re.compile(r"^-- (.+?) --$")


def parse_txtar(text: str) -> list[tuple[str, str]]:
    """Go's ``txtar.Parse``: ``[(name, data), ...]`` (the leading comment is dropped)."""
    files: list[tuple[str, str]] = []
    name = None
    buf: list[str] = []
    for line in text.splitlines(keepends=True):
        m = _MARKER.match(line.rstrip("\n"))
        if m:
            if name is not None:
                files.append((name, "".join(buf)))
            name, buf = m.group(1), []
        elif name is not None:
            buf.append(line)
    if name is not None:
        files.append((name, "".join(buf)))
    return files


@dataclass(frozen=True)
class TestCase:
    """One ``.test`` file: the trace as bytes and what reading it must give."""

    __test__ = False  # not a pytest class

    name: str
    version: Version
    events: list[RawEvent]
    data: bytes
    success: bool
    error_regexp: str | None  # Go regexp syntax (RE2), usable with Python's ``re`` here


def parse_test(text: str, name: str = "<test>") -> TestCase:
    files = parse_txtar(text)
    if len(files) != 2 or files[0][0] != "expect" or files[1][0] != "trace":
        raise ValueError(f"malformed test {name}: want files 'expect' and 'trace'")
    version, events = read_text(files[1][1])
    head = files[0][1].splitlines()[0] if files[0][1] else ""
    kind, _, rest = head.partition(" ")
    if kind == "SUCCESS":
        success, rx = True, None
    elif kind == "FAILURE":
        success, rx = False, go_unquote(rest.strip()).decode()
    else:
        raise ValueError(f"bad header line: {head!r}")
    return TestCase(name, version, events, write_binary(version, events), success, rx)


def load_test(path: str | Path) -> TestCase:
    p = Path(path)
    return parse_test(p.read_text(), p.name)


# --- a small generator DSL (after Go's internal/testgen) ------------------------------------

Frame = tuple[int, str, str, int]  # pc, func, file, line


class Trace:
    """Build a trace in code, as Go's ``internal/testgen`` does.

    Example::

        t = Trace(Version.GO123)
        g = t.generation(1)
        b = g.batch(thread=0, time=0)
        b.event("ProcStatus", 0, ProcStatus.Running)   # dt is filled in (1 tick per event)
        b.event("GoStatus", 1, -1, GoStatus.Running)   # -1 = NoThread/NoProc
        b.event("GoBlock", "sleep", [(0x401000, "main.main", "main.go", 7)])
        data = t.to_bytes()

    String args (``*_string``) take ``str`` and stack args take a list of
    frames; both are interned per generation. Timed events get ``dt=1`` and
    advance the trace clock by one tick, unless ``timestamps=False`` (``dt=0``).
    Each generation writes its sync data the way ``testgen`` does (a
    ``Sync``/``Frequency``/``ClockSnapshot`` batch first for 1.25+, a ``Frequency``
    batch after the events before), then the stack and string tables, then (1.26+)
    the ``EndOfGeneration`` byte.
    """

    def __init__(self, version: Version, *, timestamps: bool = True):
        self.version = Version(version)
        self.specs = specs_for(self.version)
        self.names = {s.name: i for i, s in enumerate(self.specs) if s.name}
        self.timestamps = timestamps
        self.last_ts = 0
        self.gens: list[Generation] = []
        self.raw: list[RawEvent] = []  # events written before the generations

    def generation(self, gen: int) -> Generation:
        g = Generation(self, gen)
        self.gens.append(g)
        return g

    def events(self) -> list[RawEvent]:
        out = list(self.raw)
        for g in self.gens:
            out += g.write()
        return out

    def to_bytes(self) -> bytes:
        return write_binary(self.version, self.events())


class Generation:
    def __init__(self, trace: Trace, gen: int):
        self.trace = trace
        self.gen = gen
        self.batches: list[Batch] = []
        self.strings: dict[str, int] = {}
        self.stacks: dict[tuple[Frame, ...], int] = {}
        self.freq = 15_625_000
        self.sync_time = 0
        self.mono = 0
        self.wall = (0, 0)
        self.cpu: list[tuple[int, int, int, int, list[Frame]]] = []

    def batch(self, thread: int, time: int) -> Batch:
        b = Batch(self, thread, time)
        self.batches.append(b)
        return b

    def string(self, s: str) -> int:
        if not s:
            return 0
        return self.strings.setdefault(s, len(self.strings) + 1)

    def stack(self, frames) -> int:
        if not frames:
            return 0
        key = tuple(tuple(f) for f in frames)
        return self.stacks.setdefault(key, len(self.stacks) + 1)

    def sync(self, freq: int, time: int, mono: int = 0, wall: tuple[int, int] = (0, 0)) -> None:
        self.freq, self.sync_time, self.mono, self.wall = freq, time, mono, wall

    def cpu_sample(self, time: int, m: int, p: int, g: int, frames) -> None:
        self.cpu.append((time, m, p, g, frames))

    def _structural(self, time: int, body: list[RawEvent]) -> list[RawEvent]:
        size = sum(e.encoded_size() for e in body)
        return [RawEvent(EventType.EventBatch, [self.gen, _u(-1), time, size]), *body]

    def write(self) -> list[RawEvent]:
        t = self.trace
        out: list[RawEvent] = []
        if t.version >= Version.GO125:
            body = [
                RawEvent(EventType.Sync),
                RawEvent(EventType.Frequency, [self.freq]),
                RawEvent(EventType.ClockSnapshot, [1, self.mono, *self.wall]),
            ]
            out += self._structural(max(self.sync_time - 1, 0), body)
        for b in self.batches:
            out += b.write()
        if t.version < Version.GO125:
            out += self._structural(self.sync_time, [RawEvent(EventType.Frequency, [self.freq])])
        if self.cpu:
            body = [RawEvent(EventType.CPUSamples)]
            for time, m, p, g, frames in self.cpu:
                body.append(
                    RawEvent(EventType.CPUSample, [time, _u(m), _u(p), _u(g), self.stack(frames)])
                )
            out += self._structural(t.last_ts + 1, body)
        body = [RawEvent(EventType.Stacks)]
        for frames, sid in self.stacks.items():
            args = [sid, len(frames)]
            for pc, fn, fl, line in frames:
                args += [pc, self.string(fn), self.string(fl), line]
            body.append(RawEvent(EventType.Stack, args))
        out += self._structural(t.last_ts + 1, body)
        body = [RawEvent(EventType.Strings)]
        body += [RawEvent(EventType.String, [sid], s.encode()) for s, sid in self.strings.items()]
        out += self._structural(t.last_ts + 1, body)
        if t.version >= Version.GO126:
            out.append(RawEvent(EventType.EndOfGeneration))
        return out


def _u(x: int) -> int:
    """An int64 ID as Go writes it (``-1`` → ``2^64-1``)."""
    return x & ((1 << 64) - 1)


class Batch:
    def __init__(self, gen: Generation, thread: int, time: int):
        self.gen = gen
        self.thread = thread
        self.time = time
        self.events: list[RawEvent] = []

    def event(self, name: str, *args) -> None:
        t = self.gen.trace
        if name not in t.names:
            raise ValueError(f"invalid or unknown event {name} for go1.{int(t.version)}")
        ev = t.names[name]
        spec = t.specs[ev]
        vals: list[int] = []
        names = list(spec.args)
        if spec.timed:
            vals.append(1 if t.timestamps else 0)
            t.last_ts += 1 if t.timestamps else 0
            names = names[1:]
        if len(args) != len(names):
            raise ValueError(f"expected {len(names)} args for {name}, got {len(args)}")
        for a, n in zip(args, names, strict=True):
            if n.endswith("string"):
                vals.append(self.gen.string(a) if isinstance(a, str) else a)
            elif n.endswith("stack") and not isinstance(a, int):
                vals.append(self.gen.stack(a))
            else:
                vals.append(_u(int(a)))
        self.events.append(RawEvent(ev, vals))

    def write(self) -> list[RawEvent]:
        size = sum(e.encoded_size() for e in self.events)
        hdr = RawEvent(EventType.EventBatch, [self.gen.gen, _u(self.thread), self.time, size])
        return [hdr, *self.events]


class GoStatus:
    """``tracev2.GoStatus`` wire values."""

    Bad, Runnable, Running, Syscall, Waiting = range(5)


class ProcStatus:
    """``tracev2.ProcStatus`` wire values."""

    Bad, Running, Idle, Syscall, SyscallAbandoned = range(5)
