"""Go's ``slices.SortFunc`` (pattern-defeating quicksort), ported literally (L1, pure Python).

Go's trace reader sorts two things with ``slices.SortFunc``: the frontier of
batch cursors when the heap's head cannot advance, and each generation's CPU
samples. Both compare timestamps only, and equal timestamps are common, so the
order of equal elements — which pdqsort does not preserve beyond 12 elements —
decides the order of events Go returns. This is a line-by-line port of the
GOROOT's ``src/slices/zsortanyfunc.go`` (``pdqsortCmpFunc`` and helpers) and
``sort.go`` (``xorshift``, ``nextPowerOfTwo``); it is deterministic, like Go's.
``tests/model/test_gosort.py`` checks it against Go's own ``slices.SortFunc``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
Cmp = Callable[[Any, Any], int]

_U64 = (1 << 64) - 1
_MAX_INSERTION = 12
_INCREASING, _DECREASING, _UNKNOWN = 1, 2, 0


def sort_func(data: list[T], cmp: Callable[[T, T], int]) -> None:
    """Go's ``slices.SortFunc(data, cmp)``, in place."""
    n = len(data)
    _pdqsort(data, 0, n, n.bit_length(), cmp)


def _insertion_sort(data, a, b, cmp):
    for i in range(a + 1, b):
        j = i
        while j > a and cmp(data[j], data[j - 1]) < 0:
            data[j], data[j - 1] = data[j - 1], data[j]
            j -= 1


def _sift_down(data, lo, hi, first, cmp):
    root = lo
    while True:
        child = 2 * root + 1
        if child >= hi:
            break
        if child + 1 < hi and cmp(data[first + child], data[first + child + 1]) < 0:
            child += 1
        if not cmp(data[first + root], data[first + child]) < 0:
            return
        data[first + root], data[first + child] = data[first + child], data[first + root]
        root = child


def _heap_sort(data, a, b, cmp):
    first, lo, hi = a, 0, b - a
    for i in range((hi - 1) // 2, -1, -1):
        _sift_down(data, i, hi, first, cmp)
    for i in range(hi - 1, -1, -1):
        data[first], data[first + i] = data[first + i], data[first]
        _sift_down(data, lo, i, first, cmp)


def _pdqsort(data, a, b, limit, cmp):
    was_balanced = True
    was_partitioned = True
    while True:
        length = b - a
        if length <= _MAX_INSERTION:
            _insertion_sort(data, a, b, cmp)
            return
        if limit == 0:
            _heap_sort(data, a, b, cmp)
            return
        if not was_balanced:
            _break_patterns(data, a, b, cmp)
            limit -= 1
        pivot, hint = _choose_pivot(data, a, b, cmp)
        if hint == _DECREASING:
            _reverse_range(data, a, b)
            pivot = (b - 1) - (pivot - a)
            hint = _INCREASING
        if (
            was_balanced
            and was_partitioned
            and hint == _INCREASING
            and _partial_insertion_sort(data, a, b, cmp)
        ):
            return
        if a > 0 and not cmp(data[a - 1], data[pivot]) < 0:
            a = _partition_equal(data, a, b, pivot, cmp)
            continue
        mid, already = _partition(data, a, b, pivot, cmp)
        was_partitioned = already
        left_len, right_len = mid - a, b - mid
        balance_threshold = length // 8
        if left_len < right_len:
            was_balanced = left_len >= balance_threshold
            _pdqsort(data, a, mid, limit, cmp)
            a = mid + 1
        else:
            was_balanced = right_len >= balance_threshold
            _pdqsort(data, mid + 1, b, limit, cmp)
            b = mid


def _partition(data, a, b, pivot, cmp):
    data[a], data[pivot] = data[pivot], data[a]
    i, j = a + 1, b - 1
    while i <= j and cmp(data[i], data[a]) < 0:
        i += 1
    while i <= j and not cmp(data[j], data[a]) < 0:
        j -= 1
    if i > j:
        data[j], data[a] = data[a], data[j]
        return j, True
    data[i], data[j] = data[j], data[i]
    i += 1
    j -= 1
    while True:
        while i <= j and cmp(data[i], data[a]) < 0:
            i += 1
        while i <= j and not cmp(data[j], data[a]) < 0:
            j -= 1
        if i > j:
            break
        data[i], data[j] = data[j], data[i]
        i += 1
        j -= 1
    data[j], data[a] = data[a], data[j]
    return j, False


def _partition_equal(data, a, b, pivot, cmp):
    data[a], data[pivot] = data[pivot], data[a]
    i, j = a + 1, b - 1
    while True:
        while i <= j and not cmp(data[a], data[i]) < 0:
            i += 1
        while i <= j and cmp(data[a], data[j]) < 0:
            j -= 1
        if i > j:
            break
        data[i], data[j] = data[j], data[i]
        i += 1
        j -= 1
    return i


def _partial_insertion_sort(data, a, b, cmp):
    max_steps, shortest_shifting = 5, 50
    i = a + 1
    for _ in range(max_steps):
        while i < b and not cmp(data[i], data[i - 1]) < 0:
            i += 1
        if i == b:
            return True
        if b - a < shortest_shifting:
            return False
        data[i], data[i - 1] = data[i - 1], data[i]
        if i - a >= 2:
            j = i - 1
            while j >= 1:
                if not cmp(data[j], data[j - 1]) < 0:
                    break
                data[j], data[j - 1] = data[j - 1], data[j]
                j -= 1
        if b - i >= 2:
            j = i + 1
            while j < b:
                if not cmp(data[j], data[j - 1]) < 0:
                    break
                data[j], data[j - 1] = data[j - 1], data[j]
                j += 1
    return False


def _break_patterns(data, a, b, cmp):
    length = b - a
    if length >= 8:
        random = length  # xorshift(length)
        modulus = 1 << length.bit_length()  # nextPowerOfTwo
        for idx in range(a + (length // 4) * 2 - 1, a + (length // 4) * 2 + 2):
            random ^= (random << 13) & _U64
            random ^= random >> 7
            random ^= (random << 17) & _U64
            other = random & (modulus - 1)
            if other >= length:
                other -= length
            data[idx], data[a + other] = data[a + other], data[idx]


def _choose_pivot(data, a, b, cmp):
    shortest_ninther, max_swaps = 50, 4 * 3
    n = b - a
    swaps = [0]
    i = a + n // 4 * 1
    j = a + n // 4 * 2
    k = a + n // 4 * 3
    if n >= 8:
        if n >= shortest_ninther:
            i = _median_adjacent(data, i, swaps, cmp)
            j = _median_adjacent(data, j, swaps, cmp)
            k = _median_adjacent(data, k, swaps, cmp)
        j = _median(data, i, j, k, swaps, cmp)
    if swaps[0] == 0:
        return j, _INCREASING
    if swaps[0] == max_swaps:
        return j, _DECREASING
    return j, _UNKNOWN


def _order2(data, a, b, swaps, cmp):
    if cmp(data[b], data[a]) < 0:
        swaps[0] += 1
        return b, a
    return a, b


def _median(data, a, b, c, swaps, cmp):
    a, b = _order2(data, a, b, swaps, cmp)
    b, c = _order2(data, b, c, swaps, cmp)
    a, b = _order2(data, a, b, swaps, cmp)
    return b


def _median_adjacent(data, a, swaps, cmp):
    return _median(data, a - 1, a, a + 1, swaps, cmp)


def _reverse_range(data, a, b):
    i, j = a, b - 1
    while i < j:
        data[i], data[j] = data[j], data[i]
        i += 1
        j -= 1
