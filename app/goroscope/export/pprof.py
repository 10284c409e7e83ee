"""pprof profiles: a hand-written protobuf encoder (and decoder) for ``profile.proto`` (L2).

:func:`write_profile` writes gzipped ``perftools.profiles.Profile`` protobuf, the
format ``go tool pprof`` reads, from plain records ``(frames, values)`` where
``frames`` is leaf first ``[(pc, func, file, line), ...]``. It builds the
profile the way Go's ``traceviewer.BuildProfile`` does for ``go tool trace
-pprof``: one Location per PC (with one Line), one Function per (file, func),
IDs from 1 in order of first use, no mappings, ``period_type`` trace/count.

:func:`read_profile` decodes a (gzipped or raw) profile into plain Python
(samples as ``(frames, values)``), enough to compare our profiles with Go's.

Wire format: each field is a varint key ``(number << 3) | wire_type``; wire
type 0 is a varint, 2 a length-delimited payload (strings, sub-messages,
packed repeated varints). Field numbers are ``profile.proto``'s:

=====================  ==================================================
Profile                1 sample_type, 2 sample, 4 location, 5 function,
                       6 string_table, 9 time_nanos, 10 duration_nanos,
                       11 period_type, 12 period, 14 default_sample_type
ValueType              1 type, 2 unit (string table indices)
Sample                 1 location_id (packed), 2 value (packed)
Location               1 id, 2 mapping_id, 3 address, 4 line
Line                   1 function_id, 2 line
Function               1 id, 2 name, 3 system_name, 4 filename, 5 start_line
=====================  ==================================================
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterable, Sequence

Frame = tuple[int, str, str, int]

#: ``go tool trace -pprof`` sample types
BLOCKING_SAMPLE_TYPES = (("contentions", "count"), ("delay", "nanoseconds"))
CPU_SAMPLE_TYPES = (("samples", "count"),)


def _varint(v: int) -> bytes:
    v &= (1 << 64) - 1  # negative int64 as two's complement, like protobuf
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def _key(field: int, wire: int) -> bytes:
    return _varint(field << 3 | wire)


def _uint(field: int, v: int) -> bytes:
    return _key(field, 0) + _varint(v) if v else b""


def _bytes(field: int, b: bytes) -> bytes:
    return _key(field, 2) + _varint(len(b)) + b


def _packed(field: int, vs: Iterable[int]) -> bytes:
    body = b"".join(_varint(v) for v in vs)
    return _bytes(field, body) if body else b""


class _Strings:
    def __init__(self) -> None:
        self.index: dict[str, int] = {"": 0}
        self.table: list[str] = [""]

    def __call__(self, s: str) -> int:
        i = self.index.get(s)
        if i is None:
            i = self.index[s] = len(self.table)
            self.table.append(s)
        return i


def encode_profile(
    samples: Iterable[tuple[Sequence[Frame], Sequence[int]]],
    sample_types: Sequence[tuple[str, str]] = BLOCKING_SAMPLE_TYPES,
    period_type: tuple[str, str] = ("trace", "count"),
    period: int = 1,
    duration_ns: int = 0,
) -> bytes:
    """The uncompressed protobuf of a profile (see the module doc)."""
    st = _Strings()
    msg = bytearray()
    for typ, unit in sample_types:
        msg += _bytes(1, _uint(1, st(typ)) + _uint(2, st(unit)))
    locs: dict[int, int] = {}
    funcs: dict[tuple[str, str], int] = {}
    loc_msgs: list[bytes] = []
    fn_msgs: list[bytes] = []
    for frames, values in samples:
        ids = []
        for pc, fn, file, line in frames:
            lid = locs.get(pc)
            if lid is None:
                fid = funcs.get((file, fn))
                if fid is None:
                    fid = funcs[(file, fn)] = len(fn_msgs) + 1
                    name = st(fn)
                    fn_msgs.append(
                        _uint(1, fid) + _uint(2, name) + _uint(3, name) + _uint(4, st(file))
                    )
                lid = locs[pc] = len(loc_msgs) + 1
                loc_msgs.append(
                    _uint(1, lid) + _uint(3, pc) + _bytes(4, _uint(1, fid) + _uint(2, line))
                )
            ids.append(lid)
        msg += _bytes(2, _packed(1, ids) + _packed(2, values))
    for m in loc_msgs:
        msg += _bytes(4, m)
    for m in fn_msgs:
        msg += _bytes(5, m)
    pt = _uint(1, st(period_type[0])) + _uint(2, st(period_type[1]))
    for s in st.table:
        msg += _bytes(6, s.encode("utf-8", "surrogateescape"))
    msg += _uint(10, duration_ns)
    msg += _bytes(11, pt)
    msg += _uint(12, period)
    return bytes(msg)


def write_profile(
    path: str | os.PathLike[str],
    samples: Iterable[tuple[Sequence[Frame], Sequence[int]]],
    sample_types: Sequence[tuple[str, str]] = BLOCKING_SAMPLE_TYPES,
    **kw,
) -> None:
    """Write a gzipped pprof profile; ``samples`` are ``(frames leaf first, values)``."""
    data = gzip.compress(encode_profile(samples, sample_types, **kw), mtime=0)
    with open(path, "wb") as f:
        f.write(data)


def write_records(path: str | os.PathLike[str], records, kind: str) -> None:
    """Write :class:`goroscope.analysis.profiles.ProfileRecord`-like records of a profile kind.

    Blocking kinds get Go's sample types (contentions/count, delay/nanoseconds);
    ``cpu`` gets samples/count.
    """
    if kind == "cpu":
        write_profile(path, ((r.frames, (r.count,)) for r in records), CPU_SAMPLE_TYPES)
    else:
        write_profile(path, ((r.frames, (r.count, r.time_ns)) for r in records))


# --- decoding -----------------------------------------------------------------------------


def _fields(buf: bytes):
    i, n = 0, len(buf)
    while i < n:
        key, i = _read_varint(buf, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            v, i = _read_varint(buf, i)
            yield field, v
        elif wire == 2:
            ln, i = _read_varint(buf, i)
            yield field, buf[i : i + ln]
            i += ln
        elif wire == 1:
            yield field, int.from_bytes(buf[i : i + 8], "little")
            i += 8
        elif wire == 5:
            yield field, int.from_bytes(buf[i : i + 4], "little")
            i += 4
        else:
            raise ValueError(f"bad wire type {wire}")


def _read_varint(buf: bytes, i: int) -> tuple[int, int]:
    shift = v = 0
    while True:
        b = buf[i]
        i += 1
        v |= (b & 0x7F) << shift
        if b < 0x80:
            return v, i
        shift += 7


def _ints(v) -> list[int]:
    if isinstance(v, int):
        return [v]
    out, i = [], 0
    while i < len(v):
        x, i = _read_varint(v, i)
        out.append(x)
    return out


def _i64(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


def read_profile(data: bytes) -> dict:
    """Decode a profile: ``{"sample_types": [(type, unit)], "samples": [(frames, values)],
    "period_type": (type, unit), "period": n}``; frames leaf first ``(pc, func, file, line)``."""
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    strings: list[str] = []
    raw_st, raw_samples, raw_locs, raw_fns, raw_pt = [], [], [], [], None
    period = 0
    for f, v in _fields(data):
        if f == 1:
            raw_st.append(v)
        elif f == 2:
            raw_samples.append(v)
        elif f == 4:
            raw_locs.append(v)
        elif f == 5:
            raw_fns.append(v)
        elif f == 6:
            strings.append(bytes(v).decode("utf-8", "surrogateescape"))
        elif f == 11:
            raw_pt = v
        elif f == 12:
            period = _i64(v)

    def vt(b) -> tuple[str, str]:
        d = dict(_fields(b))
        return strings[d.get(1, 0)], strings[d.get(2, 0)]

    fns = {}
    for b in raw_fns:
        d = dict(_fields(b))
        fns[d.get(1, 0)] = (strings[d.get(2, 0)], strings[d.get(4, 0)])
    locs = {}
    for b in raw_locs:
        lid, addr, lines = 0, 0, []
        for f, v in _fields(b):
            if f == 1:
                lid = v
            elif f == 3:
                addr = v
            elif f == 4:
                d = dict(_fields(v))
                lines.append((d.get(1, 0), _i64(d.get(2, 0))))
        fid, line = lines[0] if lines else (0, 0)
        fn, file = fns.get(fid, ("", ""))
        locs[lid] = (addr, fn, file, line)
    samples = []
    for b in raw_samples:
        ids, vals = [], []
        for f, v in _fields(b):
            if f == 1:
                ids += _ints(v)
            elif f == 2:
                vals += [_i64(x) for x in _ints(v)]
        samples.append(([locs[i] for i in ids], vals))
    return {
        "sample_types": [vt(b) for b in raw_st],
        "samples": samples,
        "period_type": vt(raw_pt) if raw_pt is not None else ("", ""),
        "period": period,
    }
