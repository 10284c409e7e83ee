"""Any bytes → a result (``error`` set when damaged) or TraceFormatError, in every pipeline.

Issue 8's property, seeded so a CI run is reproducible: truncations of two small real
traces (a Go 1.22 and a Go 1.26 trace cut after their first generations) at every distinct
place in every other batch header (the start of every one) and every 512th byte
elsewhere, and seeded structure-aware mutations of both (``tests/hostile/harness.py``:
bit flips, header fields set to 0 / 2^63 / 2^64-1, size fields inflated up to 2^64-1,
varints lengthened or over-long, huge values in event data, batches and generations
swapped, duplicated and dropped, splices). Each case runs ``goroscope.stats``, the GUI's
TraceSession load and the summary with every profile (the seeds and the size cases also
``goroscope.open``) in a worker process under a 6 GiB address-space limit, with a timeout.
``make fuzz`` runs the same harness for 30 minutes and more.
"""

from __future__ import annotations

import collections

import pytest
from tests.hostile.conftest import assert_no_findings
from tests.hostile.harness import (
    CI_PIPELINES,
    PIPELINES,
    SOURCES,
    mutate,
    truncation_offsets,
    walk_batches,
)

#: mutation cases per seed trace (CI budget: the whole directory ≤ 2 minutes)
N_MUTATIONS = 200
TRUNCATION_STRIDE = 512


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_seed_traces_read_whole(worker, sources, name):
    """The intact seeds read without error everywhere (else mutants prove nothing)."""
    r = worker.run(name, sources[name])
    assert {p: o for p, (o, _) in r.outcomes.items()} == dict.fromkeys(PIPELINES, "ok")


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SOURCES))
def test_truncations(worker, sources, name):
    data = sources[name]
    cuts = truncation_offsets(data, TRUNCATION_STRIDE)
    results = [worker.run(f"{name}[:{i}]", data[:i], CI_PIPELINES) for i in cuts]
    assert_no_findings(results)
    seen = collections.Counter(o for r in results for o, _ in r.outcomes.values())
    # a cut inside the file is damage, and a cut at a generation boundary is a clean end
    assert seen["damaged"] + seen["rejected"] > 0.9 * len(cuts) * len(CI_PIPELINES)
    assert results[-1].outcomes["stats"][0] == "ok"


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SOURCES))
def test_mutations(worker, sources, name):
    data = sources[name]
    offset = 1_000_000 * sorted(SOURCES).index(name)
    results = []
    for seed in range(offset, offset + N_MUTATIONS):
        mutant, steps = mutate(data, seed)
        results.append(worker.run(f"{name}/seed{seed} {steps}", mutant, CI_PIPELINES))
    assert_no_findings(results)
    seen = collections.Counter(o for r in results for o, _ in r.outcomes.values())
    assert seen["damaged"] > len(results)  # the mutants do reach the reader's error paths


@pytest.mark.parametrize("name", sorted(SOURCES))
@pytest.mark.parametrize("claim", [1 << 16, 1 << 31, 1 << 40, (1 << 64) - 1])
def test_size_field_claiming_huge_batches(worker, sources, name, claim):
    """A batch size of up to 2^64-1 bytes: an error naming the damage, no allocation of it
    (the worker runs under a 6 GiB address-space limit and reports its peak RSS)."""
    from tests.hostile.harness import put_uvarint

    data = sources[name]
    batches = [b for b in walk_batches(data) if not b.eog]
    for b in (batches[0], batches[len(batches) // 2], batches[-1]):
        f = b.field("size")
        mutant = data[: f.start] + put_uvarint(claim, f.end - f.start) + data[f.end :]
        r = worker.run(f"{name} size@{b.offset}={claim}", mutant)
        assert_no_findings([r])
        assert all(o in ("damaged", "rejected") for o, _ in r.outcomes.values()), r.outcomes
        # per case, not the worker's lifetime peak: that includes numba compiling every
        # kernel on a cold cache (a fresh CI clone), which alone came near 1 GiB under load
        assert r.growth < 1 << 30, (r.peak_rss, r.start_rss)
