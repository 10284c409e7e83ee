"""Tiny trace *writer* for format tests: bytes for synthetic edge cases.

Not a general DSL (that is ``tests/tracegen.py``'s job); just enough to build
batches with padded size varints, EndOfGeneration bytes, first generations
above 1, and truncated or malformed tails.
"""

from __future__ import annotations

from tests.tracegen import go_unquote

from goroscope.format.version import Version

NO = (1 << 64) - 1


def uv(x: int, pad_to: int = 0) -> bytes:
    """Unsigned LEB128 of ``x``, optionally padded (non-minimal) to ``pad_to`` bytes."""
    out = bytearray()
    while True:
        b = x & 0x7F
        x >>= 7
        if x or len(out) + 1 < pad_to:
            out.append(b | 0x80)
        else:
            out.append(b)
            break
    return bytes(out)


def batch(
    gen: int, m: int, time: int, data: bytes, *, exp: int | None = None, pad: bool = True
) -> bytes:
    head = bytes([49, exp]) if exp is not None else b"\x01"
    return head + uv(gen) + uv(m) + uv(time) + uv(len(data), 10 if pad else 0) + data


def ev(typ: int, *args: int) -> bytes:
    return bytes([typ]) + b"".join(uv(a) for a in args)


def sync_data(
    version: Version, freq: int = 15625000, clock: tuple[int, ...] = (1, 64, 1, 2)
) -> bytes:
    if version >= Version.GO125:
        return b"\x32" + ev(8, freq) + ev(51, *clock)
    return ev(8, freq)


def strings_data(*items: tuple[int, bytes]) -> bytes:
    return b"\x04" + b"".join(ev(5, sid, len(s)) + s for sid, s in items)


def stacks_data(*items: tuple[int, list[tuple[int, int, int, int]]]) -> bytes:
    out = b"\x02"
    for sid, frames in items:
        out += ev(3, sid, len(frames)) + b"".join(uv(w) for f in frames for w in f)
    return out


def generation(
    version: Version, gen: int, *, t0: int = 100, events: bytes | None = None, m: int = 5
) -> bytes:
    """One small but complete generation (sync, events, strings, stacks[, EndOfGeneration])."""
    if events is None:
        events = ev(13, 1, 0, 1) + ev(16, 2, 1, 1) + ev(19, 3, 1, 1)  # ProcStatus, GoStart, GoStop
    out = batch(gen, NO, t0, sync_data(version))
    out += batch(gen, m, t0 + 1, events)
    out += batch(gen, NO, t0, strings_data((1, b"sleep"), (2, b"main.main"), (3, b"main.go")))
    out += batch(gen, NO, t0, stacks_data((1, [(0x401000, 2, 3, 10)])))
    if version >= Version.GO126:
        out += b"\x34"
    return out


def trace(version: Version, gens: list[int] | None = None, **kw) -> bytes:
    gens = gens or [1]
    return version.header + b"".join(
        generation(version, g, t0=100 * (i + 1), **kw) for i, g in enumerate(gens)
    )


def parse_go_fuzz_file(text: str) -> bytes:
    """The bytes of a ``go test fuzz v1`` file holding one ``[]byte("...")`` literal."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "go test fuzz v1":
        raise ValueError("not a go test fuzz v1 file")
    body = "\n".join(lines[1:]).strip()
    prefix = "[]byte("
    if not body.startswith(prefix) or not body.endswith(")"):
        raise ValueError("expected a single []byte(...) value")
    return go_string_literal(body[len(prefix) : -1])


def go_string_literal(lit: str) -> bytes:
    """Decode a Go interpreted (``"..."``) or raw (`` `...` ``) string literal to bytes."""
    if lit.startswith("`") and lit.endswith("`"):
        return lit[1:-1].replace("\r", "").encode()
    return go_unquote(lit)
