"""errors, version, spec and TraceFile: the small pieces of goroscope.format."""

from __future__ import annotations

import pickle
import re

import numpy as np
import pytest
from tests.format import wire

from goroscope.format import spec
from goroscope.format.errors import TraceFormatError, UnsupportedVersionError
from goroscope.format.tracefile import TraceFile
from goroscope.format.version import Version, read_header


def test_trace_format_error_names_offset_and_generation():
    e = TraceFormatError("bad thing", offset=1234, generation=7)
    assert (e.offset, e.generation, e.message) == (1234, 7, "bad thing")
    assert "1234" in str(e)
    assert "generation 7" in str(e)
    e2 = pickle.loads(pickle.dumps(e))
    assert (e2.offset, e2.generation, str(e2)) == (1234, 7, str(e))


@pytest.mark.nojit
@pytest.mark.parametrize(
    ("header", "version"),
    [(b"go 1.22 trace\0\0\0", Version.GO122), (b"go 1.23 trace\0\0\0", Version.GO123),
     (b"go 1.25 trace\0\0\0", Version.GO125), (b"go 1.26 trace\0\0\0", Version.GO126)],
)  # fmt: skip
def test_v2_headers(header, version):
    assert read_header(header + b"\x01") == (version, 16)


@pytest.mark.parametrize("minor", [11, 19, 21])
def test_v1_headers_are_recognised_but_unsupported(minor):
    with pytest.raises(UnsupportedVersionError, match="old format support comes later") as ei:
        read_header(b"go 1.%d trace\0\0\0" % minor)
    assert ei.value.version == minor
    assert isinstance(ei.value, TraceFormatError)


@pytest.mark.parametrize(
    "header",
    [
        b"go 1.24 trace\0\0\0",
        b"go 1.27 trace\0\0\0",
        b"go 1.5 trace\0\0\0\0",
        b"hello world!!!!!",
        b"",
    ],
)
def test_other_headers_name_what_they_saw(header):
    with pytest.raises(UnsupportedVersionError) as ei:
        read_header(header)
    shown = header[:13].decode("latin-1")
    assert shown[:7] in str(ei.value) or repr(header[:16])[2:9] in str(ei.value)


def test_spec_table_shape():
    names = [s.name for s in spec.EVENT_SPECS if s.name]
    assert len(spec.EVENT_SPECS) == 137
    assert len(names) == 61 == len(set(names))
    assert sum(s.experimental for s in spec.EVENT_SPECS) == 9
    assert [len(spec.specs_for(v)) for v in (Version.GO122, Version.GO123, Version.GO125, Version.GO126)] == [45, 50, 52, 137]  # fmt: skip
    assert spec.specs_for(Version.GO121) == ()
    for t in spec.EventType:
        assert spec.EVENT_SPECS[t].name == (t.name if t else "")
    assert spec.event_name(Version.GO123, 129) == "Invalid(129)"
    assert spec.event_name(Version.GO126, 129) == "SpanAlloc"


def _go_specs(goroot) -> dict[str, dict]:
    """Parse tracev2/events.go's ``specs`` table (names, args, ids, flags)."""
    src = (goroot / "src/internal/trace/tracev2/events.go").read_text()
    body = src[src.index("var specs = [...]EventSpec{") :]
    out = {}
    for m in re.finditer(r"\n\tEv(\w+): \{(.*?)\n\t\},", body, re.S):
        block = m.group(2) + "\n"

        def field(name, block=block):
            f = re.search(name + r":\s*(.*?),\n", block)
            return f.group(1) if f else None

        args = field("Args")
        out[m.group(1)] = {
            "name": re.search(r'Name:\s*"(\w+)"', block).group(1),
            "args": tuple(re.findall(r'"(\w+)"', args)) if args else (),
            "stack": tuple(int(x) for x in re.findall(r"\d+", field("StackIDs") or "")),
            "string": tuple(int(x) for x in re.findall(r"\d+", field("StringIDs") or "")),
            "timed": re.search(r"IsTimedEvent:\s*true", block) is not None,
            "has_data": re.search(r"HasData:\s*true", block) is not None,
            "is_stack": re.search(r"IsStack:\s*true", block) is not None,
        }
    return out


def test_spec_matches_go_events_go(trace_goroot):
    go = _go_specs(trace_goroot)
    assert len(go) == 61
    for const, g in go.items():
        s = spec.EVENT_SPECS[spec.EventType[const]]
        assert (s.name, s.args, s.stack_ids, s.string_ids) == (g["name"], g["args"], g["stack"], g["string"]), const  # fmt: skip
        assert (s.timed, s.has_data, s.is_stack) == (g["timed"], g["has_data"], g["is_stack"]), (
            const
        )


@pytest.mark.nojit
def test_tracefile_bytes_and_path(tmp_path):
    data = wire.trace(Version.GO126)
    with TraceFile(data) as tf:
        assert tf.version == Version.GO126
        assert tf.header_size == 16
        assert tf.size == len(data)
        assert not tf.buf.flags.writeable
    p = tmp_path / "t.trace"
    p.write_bytes(data)
    tf = TraceFile(p)
    view = tf.buf[10:20]  # a live view: close() must still be safe (BufferError inside)
    tf.close()
    tf.close()
    assert tf.closed
    assert view.tobytes() == data[10:20]
    with pytest.raises(ValueError, match="closed"):
        _ = tf.buf


def test_tracefile_rejects_v1_and_empty(tmp_path):
    p = tmp_path / "empty.trace"
    p.write_bytes(b"")
    with pytest.raises(UnsupportedVersionError):
        TraceFile(p)
    with pytest.raises(UnsupportedVersionError, match="old format"):
        TraceFile(b"go 1.21 trace\0\0\0" + bytes(10))
    assert TraceFile(b"go 1.21 trace\0\0\0", allow_v1=True).version == Version.GO121


def test_tracefile_release_pages(tmp_path):
    p = tmp_path / "t.trace"
    p.write_bytes(wire.trace(Version.GO126, [1, 2, 3]) + bytes(5000))
    with TraceFile(p) as tf:
        tf.release_pages(0, tf.size)  # advisory only; the data must stay readable
        assert tf.buf[:4].tobytes() == b"go 1"
    assert np.frombuffer(p.read_bytes(), np.uint8).shape[0] > 5000


def test_importing_goroscope_stays_light():
    """``import goroscope`` (and the error types) must not import numba or Qt."""
    import subprocess
    import sys

    code = (
        "import sys, goroscope, goroscope.format\n"
        "from goroscope import TraceFormatError, TraceFile\n"
        "from goroscope.format import Version, TraceFormatError as E\n"
        "assert 'numba' not in sys.modules, 'numba imported'\n"
        "assert not any(m.startswith('PySide6') for m in sys.modules)\n"
        "from goroscope.format import index_trace\n"
        "assert 'numba' in sys.modules\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr


def test_warm_up_and_tiny_trace():
    from goroscope.format import decode, index_trace, warm_up

    warm_up()
    data = decode.tiny_trace()
    ix = index_trace(data)
    g = decode.decode_generation(data, ix, 0)
    assert ix.error is None
    assert g.events.ev_type.tolist() == [13, 16, 128]
    assert decode.string_at(data, g.strings, 1) == "main"
    assert decode.string_at(data, g.strings, 0) == ""
    with pytest.raises(KeyError):
        decode.string_at(data, g.strings, 99)
    assert g.cpu_samples.goroutine.tolist() == [-1]
    assert g.cpu_samples.proc.tolist() == [0]
    assert g.clock is not None
    assert g.clock.trace_ns == 101 * 64
