"""Pure-Python twins of ``_kernels`` (same names, arguments, outputs and status codes).

Layer L0, test support: slow and obviously correct, written from Go's readers
(``binary.Uvarint``, ``readBatch``, ``setSyncBatch``, ``readTimedBaseEvent``,
``addStrings``/``addStacks``/``addCPUSamples``, ``raw.Reader``) rather than
from the kernels. Python ints are unbounded, so Go's uint64/int64 behaviour is
spelled out (``_u64``, ``_i64``). Property tests check kernel == twin.
"""

from __future__ import annotations

import math

from goroscope.format._kernels import (
    ERR_BAD_TIMESTAMP,
    ERR_BATCH_SIZE,
    ERR_BATCH_TYPE,
    ERR_CAPACITY,
    ERR_DATA_PAST_END,
    ERR_EOG_OLD,
    ERR_EXPECTED,
    ERR_GEN_ZERO,
    ERR_INVALID_TYPE,
    ERR_MULTIPLE_CLOCK,
    ERR_MULTIPLE_FREQ,
    ERR_NOT_TIMED,
    ERR_OVERFLOW,
    ERR_STACK_SIZE,
    ERR_STRING_SIZE,
    ERR_TRUNCATED,
    INT64_MIN,
    KIND_CPU_SAMPLES,
    KIND_END_OF_GENERATION,
    KIND_EVENTS,
    KIND_EXPERIMENTAL,
    KIND_STACKS,
    KIND_STRINGS,
    KIND_SYNC,
    MAX_BATCH_SIZE,
    MAX_FRAMES,
    MAX_STRING,
    NARG_COLS,
    OK,
)

_M64 = (1 << 64) - 1


def _i64(x: int) -> int:
    """Wrap a Python int to int64 (two's complement), like Go's int64 arithmetic."""
    x &= _M64
    return x - (1 << 64) if x >> 63 else x


class _Err(Exception):
    def __init__(self, code: int) -> None:
        self.code = code


def _read(data: bytes, pos: int, end: int) -> tuple[int, int]:
    """binary.Uvarint; raises _Err(TRUNCATED|OVERFLOW)."""
    value = 0
    for i in range(10):
        if pos >= end:
            raise _Err(ERR_TRUNCATED)
        b = data[pos]
        pos += 1
        if b < 0x80:
            if i == 9 and b > 1:
                raise _Err(ERR_OVERFLOW)
            return value | (b << (7 * i)), pos
        value |= (b & 0x7F) << (7 * i)
    raise _Err(ERR_OVERFLOW)


def uvarint(buf, pos, end):
    data = bytes(buf)
    try:
        return _read(data, pos, end)
    except _Err as e:
        return 0, -e.code


def mul(t, ns_per_tick):
    f = float(int(t)) * float(ns_per_tick)
    if math.isnan(f) or f >= 2.0**63 or f < -(2.0**63):
        return INT64_MIN
    return int(f)


def scan_batches(
    buf, start, stop, ver, fill, row0, offset, data_offset, size, gen, thread, base_time, kind, exp
):
    data = bytes(buf)
    n = len(data)
    pos = start
    rows = []

    def _emit(rows, fill, status, err_off, end_pos, *cols):
        if fill:
            if row0 + len(rows) > cols[0].shape[0]:
                return max(0, cols[0].shape[0] - row0), ERR_CAPACITY, err_off, end_pos
            for i, row in enumerate(rows):
                for col, v in zip(cols, row, strict=True):
                    col[row0 + i] = v
        return len(rows), status, err_off, end_pos

    while pos < n and pos < stop:
        bstart = pos
        t = data[pos]
        if t == 52:
            if ver < 26:
                return _emit(rows, fill, ERR_EOG_OLD, bstart, bstart, offset, data_offset, size, gen, thread, base_time, kind, exp)  # fmt: skip
            rows.append((bstart, bstart + 1, 0, 0, _M64, 0, KIND_END_OF_GENERATION, 0))
            pos += 1
            continue
        if t not in (1, 49):
            return _emit(rows, fill, ERR_BATCH_TYPE, bstart, bstart, offset, data_offset, size, gen, thread, base_time, kind, exp)  # fmt: skip
        pos += 1
        try:
            e = 0
            if t == 49:
                if pos >= n:
                    raise _Err(ERR_TRUNCATED)
                e = data[pos]
                pos += 1
            g, pos = _read(data, pos, n)
            m, pos = _read(data, pos, n)
            ts, pos = _read(data, pos, n)
            sz, pos = _read(data, pos, n)
            if sz > MAX_BATCH_SIZE:
                raise _Err(ERR_BATCH_SIZE)
            if sz > n - pos:
                raise _Err(ERR_DATA_PAST_END)
            if g == 0:
                raise _Err(ERR_GEN_ZERO)
        except _Err as err:
            return _emit(rows, fill, err.code, bstart, bstart, offset, data_offset, size, gen, thread, base_time, kind, exp)  # fmt: skip
        k = KIND_EVENTS
        if e != 0:
            k = KIND_EXPERIMENTAL
        elif sz > 0:
            k = {4: KIND_STRINGS, 2: KIND_STACKS, 6: KIND_CPU_SAMPLES}.get(data[pos], KIND_EVENTS)
            if (data[pos] == 8 and ver < 25) or (data[pos] == 50 and ver >= 25):
                k = KIND_SYNC
        rows.append((bstart, pos, sz, g, m, ts, k, e))
        pos += sz
    return _emit(
        rows, fill, OK, pos, pos, offset, data_offset, size, gen, thread, base_time, kind, exp
    )


def decode_sync(buf, pos, end, base_time, ver):
    data = bytes(buf)
    st = {
        "freq": 0,
        "has_freq": False,
        "has_clock": False,
        "snap": 0,
        "mono": 0,
        "sec": 0,
        "nsec": 0,
    }

    def out(code, at):
        return (code, at, st["freq"], st["has_freq"], st["has_clock"], st["snap"], st["mono"], st["sec"], st["nsec"])  # fmt: skip

    if ver >= 25:
        if pos >= end or data[pos] != 50:
            return out(ERR_EXPECTED, pos)
        pos += 1
    while pos < end:
        at = pos
        t = data[pos]
        pos += 1
        try:
            if t == 8:
                if st["has_freq"]:
                    return out(ERR_MULTIPLE_FREQ, at)
                st["freq"], pos = _read(data, pos, end)
                st["has_freq"] = True
            elif t == 51 and ver >= 25:
                if st["has_clock"]:
                    return out(ERR_MULTIPLE_CLOCK, at)
                dt, pos = _read(data, pos, end)
                mono, pos = _read(data, pos, end)
                sec, pos = _read(data, pos, end)
                nsec, pos = _read(data, pos, end)
                st.update(snap=(int(base_time) + dt) & _M64, mono=mono, sec=sec, nsec=nsec)
                st["has_clock"] = True
            else:
                return out(ERR_EXPECTED, at)
        except _Err as err:
            return (err.code, at, 0, False, False, 0, 0, 0, 0)
    return out(OK, end)


def decode_events(
    buf, b_doff, b_size, b_time, b_thread, b_idx, ns_per_tick, nargs, timed,
    ev_type, time_ns, thread, batch, args, offset, counts,
):  # fmt: skip
    data = bytes(buf)
    cap = ev_type.shape[0]
    j = 0
    for bi in range(len(b_doff)):
        pos, end = int(b_doff[bi]), int(b_doff[bi]) + int(b_size[bi])
        last = mul(int(b_time[bi]), ns_per_tick)
        while pos < end:
            at = pos
            t = data[pos]
            if not timed[t]:
                return j, (ERR_INVALID_TYPE if t >= 137 else ERR_NOT_TIMED), at
            if j >= cap:
                return j, ERR_CAPACITY, at
            pos += 1
            try:
                dt, pos = _read(data, pos, end)
            except _Err:
                return j, ERR_BAD_TIMESTAMP, at
            vals = [dt]
            try:
                for _ in range(int(nargs[t]) - 1):
                    v, pos = _read(data, pos, end)
                    vals.append(v)
            except _Err as err:
                return j, err.code, at
            last = _i64(mul(vals[0], ns_per_tick) + last)
            ev_type[j] = t
            time_ns[j] = last
            thread[j] = b_thread[bi]
            batch[j] = b_idx[bi]
            offset[j] = at
            rest = vals[1:] + [0] * (NARG_COLS - len(vals) + 1)
            args[j, :] = rest[:NARG_COLS]
            counts[t] += 1
            j += 1
    return j, OK, 0


def decode_strings(buf, b_doff, b_size, ids, offset, length):
    data = bytes(buf)
    j = 0
    for bi in range(len(b_doff)):
        pos, end = int(b_doff[bi]) + 1, int(b_doff[bi]) + int(b_size[bi])
        while pos < end:
            at = pos
            if data[pos] != 5:
                return j, ERR_EXPECTED, at
            try:
                sid, pos = _read(data, pos + 1, end)
                ln, pos = _read(data, pos, end)
            except _Err as err:
                return j, err.code, at
            if ln > MAX_STRING:
                return j, ERR_STRING_SIZE, at
            if ln > end - pos:
                return j, ERR_DATA_PAST_END, at
            if j >= ids.shape[0]:
                return j, ERR_CAPACITY, at
            ids[j], offset[j], length[j] = sid, pos, ln
            j += 1
            pos += ln
    return j, OK, 0


def decode_stacks(buf, b_doff, b_size, ids, frame_start, nframes, frames):
    data = bytes(buf)
    j = f = 0
    for bi in range(len(b_doff)):
        pos, end = int(b_doff[bi]) + 1, int(b_doff[bi]) + int(b_size[bi])
        while pos < end:
            at = pos
            if data[pos] != 3:
                return j, f, ERR_EXPECTED, at
            try:
                sid, pos = _read(data, pos + 1, end)
                nf, pos = _read(data, pos, end)
                if nf > MAX_FRAMES:
                    return j, f, ERR_STACK_SIZE, at
                if j >= ids.shape[0] or f + nf > frames.shape[0]:
                    return j, f, ERR_CAPACITY, at
                for k in range(nf):
                    for w in range(4):
                        frames[f + k, w], pos = _read(data, pos, end)
            except _Err as err:
                return j, f, err.code, at
            ids[j], frame_start[j], nframes[j] = sid, f, nf
            f += nf
            j += 1
    return j, f, OK, 0


def decode_stack_firsts(buf, b_doff, b_size, ids, frame_start, nframes, slots, uframes, owner):
    """Twin of ``_kernels.decode_stack_firsts`` (a dict of PC → uframes row)."""
    data = bytes(buf)
    seen: dict[int, int] = {}
    fcap = int(sum(int(x) for x in b_size)) // 4
    j = f = 0
    for bi in range(len(b_doff)):
        pos, end = int(b_doff[bi]) + 1, int(b_doff[bi]) + int(b_size[bi])
        while pos < end:
            at = pos
            if data[pos] != 3:
                return j, f, len(seen), ERR_EXPECTED, at
            try:
                sid, pos = _read(data, pos + 1, end)
                nf, pos = _read(data, pos, end)
                if nf > MAX_FRAMES:
                    return j, f, len(seen), ERR_STACK_SIZE, at
                if j >= ids.shape[0] or f + nf > fcap:
                    return j, f, len(seen), ERR_CAPACITY, at
                for _k in range(nf):
                    row = []
                    for _w in range(4):
                        v, pos = _read(data, pos, end)
                        row.append(v)
                    if row[0] not in seen:
                        u = len(seen)
                        if 2 * (u + 1) > slots.shape[0] or u >= uframes.shape[0]:
                            return j, f, u, -1, at
                        seen[row[0]] = u
                        uframes[u] = row
                        owner[u] = j
            except _Err as err:
                return j, f, len(seen), err.code, at
            ids[j], frame_start[j], nframes[j] = sid, f, nf
            f += nf
            j += 1
    return j, f, len(seen), OK, 0


def first_frames(frames, slots, firsts):
    """Twin of ``_kernels.first_frames`` (a dict of PC → first row; ``slots`` bounds it alike)."""
    first: dict[int, int] = {}
    for i in range(frames.shape[0]):
        pc = int(frames[i, 0])
        j = first.get(pc)
        if j is None:
            n = len(first)
            if 2 * (n + 1) > slots.shape[0] or n >= firsts.shape[0]:
                return -1
            first[pc] = i
            firsts[n] = i
        else:
            frames[i, 1:] = frames[j, 1:]
    return len(first)


def decode_cpu_samples(
    buf, b_doff, b_size, ns_per_tick, time_ns, thread, proc, goroutine, stack_id
):
    data = bytes(buf)
    j = 0
    for bi in range(len(b_doff)):
        pos, end = int(b_doff[bi]) + 1, int(b_doff[bi]) + int(b_size[bi])
        while pos < end:
            at = pos
            if data[pos] != 7:
                return j, ERR_EXPECTED, at
            if j >= time_ns.shape[0]:
                return j, ERR_CAPACITY, at
            pos += 1
            vals = []
            try:
                for _ in range(5):
                    v, pos = _read(data, pos, end)
                    vals.append(v)
            except _Err as err:
                return j, err.code, at
            ts, m, p, g, s = vals
            time_ns[j] = mul(ts, ns_per_tick)
            thread[j] = _i64(m)
            proc[j] = _i64(p)
            goroutine[j] = -1 if g == 0 else _i64(g)
            stack_id[j] = s
            j += 1
    return j, OK, 0


def raw_count(buf, start, stop, limit, nargs, is_stack, has_data, counts):
    data = bytes(buf)
    n = len(data)
    pos = start
    events = 0

    def read(pos):
        # io.EOF before the first byte of a varint ends the stream quietly (Go's raw reader).
        if pos >= n:
            raise EOFError
        return _read(data, pos, n)

    while pos < n and pos < stop:
        at = pos
        t = data[pos]
        if t == 0 or t >= limit:
            return events, ERR_INVALID_TYPE, at
        pos += 1
        try:
            args = []
            for _ in range(int(nargs[t])):
                v, pos = read(pos)
                args.append(v)
            if is_stack[t]:
                for _ in range(max(_i64(args[1]), 0) * 4):
                    _, pos = read(pos)
            if has_data[t]:
                ln, pos = read(pos)
                ln = _i64(ln)
                if ln > 0:
                    if ln > n - pos:
                        raise EOFError
                    pos += ln
        except EOFError:
            return events, OK, n
        except _Err as err:
            return events, err.code, at
        counts[t] += 1
        events += 1
    return events, OK, pos
