"""The reaper (goroscope.jobs.reaper): retired data is freed on its thread, the pages
of buffers only it references are given back, and buffers something live still uses
are never touched (scenario: a loading snapshot's swap freed 0.4–1.8 GB on the GUI
thread of the 450 MB trace, 43–65 ms per swap)."""

from __future__ import annotations

import sys
import threading
import weakref

import numpy as np
import pytest

from goroscope.jobs.reaper import Reaper, big_owners, release_pages

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="madvise/proc: Linux")
MB = 1 << 20


def _rss_anon() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no RssAnon")


def _touched(n_bytes: int) -> np.ndarray:
    a = np.empty(n_bytes // 8, np.int64)
    a[:] = np.arange(len(a))  # every page faulted in, distinct content
    return a


@pytest.fixture
def reaper():
    return Reaper(min_bytes=MB, wait_s=5.0, name="test-reaper")


@linux
def test_release_pages_returns_memory_and_reads_zero():
    a = _touched(64 * MB)
    before = _rss_anon()
    n = release_pages(a)
    after = _rss_anon()
    assert n >= 64 * MB - 2 * 4096  # all but the partial pages at either end
    assert before - after >= 56 * MB  # the kernel took the pages back
    p = a.ctypes.data
    first = (-(-p // 4096) * 4096 - p) // 8  # first element of a released page
    assert a[first] == 0
    assert a[first + 1_000_000] == 0
    assert a[first - 1] == first - 1  # the partial page before is untouched


def test_big_owners_finds_the_arrays_that_own_memory_through_views():
    own = _touched(4 * MB)
    small = np.arange(10)
    graph = {"view": own[10:20], "nested": [(own[::2],)], "small": small}
    got = big_owners(graph, min_bytes=MB)
    assert len(got) == 1
    assert got[0] is own


@linux
def test_retired_buffer_is_released_and_freed_on_the_reaper_thread(reaper):
    own = _touched(32 * MB)
    freed_on = []
    ref = weakref.ref(own, lambda _r: freed_on.append(threading.get_ident()))
    graph = {"rows": (own[5:], own[:5])}  # views only: the owner is reachable via base
    del own
    reaper.retire(graph)
    del graph  # the retiring code's reference goes after retire (as in TraceView.show_data)
    assert reaper.flush(30)
    assert ref() is None
    assert freed_on == [reaper.thread.ident]
    assert reaper.stats.released_buffers == 1
    assert reaper.stats.released_bytes >= 32 * MB - 2 * 4096
    assert reaper.stats.late == 0


def test_buffer_still_used_elsewhere_is_left_alone(reaper):
    live = _touched(16 * MB)  # e.g. a column the next snapshot views too
    expect = np.arange(len(live))
    reaper.retire({"old_view": live[100:], "other": _touched(2 * MB)})
    assert reaper.flush(30)
    np.testing.assert_array_equal(live, expect)  # not a page released
    assert reaper.stats.shared_buffers == 1
    assert reaper.stats.released_buffers == 1  # only the exclusively owned one


def test_reaper_waits_for_the_retiring_code_to_let_go(reaper):
    own = _touched(8 * MB)
    freed_on = []
    ref = weakref.ref(own, lambda _r: freed_on.append(threading.get_ident()))
    box = [own]
    del own
    reaper.retire(box)
    assert not reaper.flush(0.2)  # still referenced here: the reaper waits
    assert ref() is not None
    del box
    assert reaper.flush(30)
    assert freed_on == [reaper.thread.ident]
    assert reaper.stats.released_buffers == 1


def test_reaper_gives_up_waiting_and_touches_nothing_shared():
    r = Reaper(min_bytes=MB, wait_s=0.05, name="test-reaper-late")
    own = _touched(8 * MB)
    expect = np.arange(len(own))
    box = [own]
    r.retire(box)
    assert r.flush(30)
    assert r.stats.late == 1
    np.testing.assert_array_equal(own, expect)
    assert r.stats.released_buffers == 0
    del box, own
