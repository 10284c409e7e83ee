"""User logs of a Timeline, searchable by category and text (pure data; job thread to build).

:func:`log_index_job` prepares, once per trace, what every search needs:

* the logs' category and message string codes remapped to *dense* positions in
  two small tables of distinct strings (``np.unique`` over the codes);
* those distinct strings, lower-cased, as numpy variable-width strings
  (``StringDType``, no fixed-width padding however long a message is);
* per category its log count (the category chooser).

:func:`filter_logs` is then two vectorised steps: ``np.strings.find`` over the
*distinct* strings (a message logged a million times is searched once), and a
gather of those booleans through the per-log positions. The text matches the
message or the category, case-insensitively (``str.lower``); an empty text
matches everything. Results are log rows in time order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from goroscope.model.timeline import Timeline

__all__ = ["ALL", "LogIndex", "filter_logs", "log_index_job"]

#: the category chooser's "every category"
ALL = None


@dataclass(frozen=True, slots=True)
class LogIndex:
    """Search tables of one trace's logs.

    cat_pos, msg_pos : (n,) int64 — per log, its row in ``categories`` / ``messages``
    categories, messages : tuple of str — distinct strings, sorted
    cat_lower, msg_lower : (k,) StringDType — the same, lower-cased
    cat_count : (c,) int64 — logs per category
    task_row : (n,) int64 — the log's task (row of ``Timeline.tasks``; -1: none / background)
    """

    cat_pos: NDArray[np.int64]
    msg_pos: NDArray[np.int64]
    categories: tuple[str, ...]
    messages: tuple[str, ...]
    cat_lower: np.ndarray
    msg_lower: np.ndarray
    cat_count: NDArray[np.int64]
    task_row: NDArray[np.int64]

    def __len__(self) -> int:
        return int(self.cat_pos.shape[0])


def _distinct(tl: Timeline, codes: NDArray[np.int32]):
    """Per log its position in the distinct strings, those sorted (so sorting a column by
    position sorts it alphabetically)."""
    uniq, pos = np.unique(codes, return_inverse=True)
    strs = [tl.strings[c] if c >= 0 else "" for c in uniq.tolist()]
    order = sorted(range(len(strs)), key=strs.__getitem__)
    rank = np.empty(len(strs), np.int64)
    rank[order] = np.arange(len(strs))
    strs = tuple(strs[i] for i in order)
    lower = np.strings.lower(np.array(strs, dtype=np.dtypes.StringDType()))
    return rank[pos] if len(pos) else pos.astype(np.int64), strs, lower


def log_index_job(tl: Timeline, *, cancel=None, progress=None) -> LogIndex:
    """Build the :class:`LogIndex` (job thread; pure)."""
    from goroscope.ui.models.task_data import task_row_of

    lg = tl.logs
    cat_pos, cats, cat_lower = _distinct(tl, lg.category)
    msg_pos, msgs, msg_lower = _distinct(tl, lg.message)
    cat_count = np.bincount(cat_pos, minlength=len(cats)).astype(np.int64)
    task_row = task_row_of(tl, lg.task_id)
    task_row[lg.task_id == np.uint64(0)] = -1
    return LogIndex(cat_pos, msg_pos, cats, msgs, cat_lower, msg_lower, cat_count, task_row)


def filter_logs(
    idx: LogIndex,
    text: str = "",
    category: str | None = ALL,
    *,
    g_idx: NDArray[np.int64] | None = None,
    goroutine: int | None = None,
    task_row: int | None = None,
) -> NDArray[np.int64]:
    """Rows of the logs matching every given condition, ascending (any thread; pure).

    text : substring of the message or the category, case-insensitive ("" = any)
    category : exact category (``ALL`` = any)
    goroutine, task_row : only the logs of this goroutine (needs ``g_idx``, the logs'
        ``g_idx`` column) / task
    """
    m = np.ones(len(idx), bool)
    if category is not ALL:
        try:
            c = idx.categories.index(category)
        except ValueError:
            return np.zeros(0, np.int64)
        m &= idx.cat_pos == c
    if text:
        t = text.lower()
        hit_msg = np.strings.find(idx.msg_lower, t) >= 0
        hit_cat = np.strings.find(idx.cat_lower, t) >= 0
        m &= hit_msg[idx.msg_pos] | hit_cat[idx.cat_pos]
    if goroutine is not None and g_idx is not None:
        m &= g_idx == goroutine
    if task_row is not None:
        m &= idx.task_row == task_row
    return np.flatnonzero(m).astype(np.int64)
