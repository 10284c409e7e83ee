"""SpanTrackItem: many rows of state spans in one pyqtgraph item (GUI thread only).

One ``GraphicsObject`` draws a whole group of rows (STYLE §4.5.1): row ``r``
occupies ``y ∈ [r, r + 1)`` in item coordinates (the bar fills ``row_height``
of it, centred); x is ns since trace start. Each frame (``paint``):

1. **Viewport** from the view's range and the painter's transform (never from
   ``pixelWidth()``, STYLE §3.3); only rows intersecting the view are touched.
2. **Runs per visible row**, cached per row for the buffered bounds
   (``lod.viewport``: 3× the visible width, quantised to the power-of-two
   resolution): window by ``searchsorted`` and ``lod.merge_spans`` at
   ``min_px`` (2 px), runs coloured by ``lod.dominant_state``. Panning inside
   the buffer reuses them; a new octave of zoom recomputes.
3. **Paint** in device coordinates (the painter transform reset), so rects are
   at least 1 px wide and fonts never scale: the visible slice of the runs goes
   into one ``RectArray`` per colour and one ``drawRects`` per colour with
   ``NoPen``. Merged runs (≥ 2 spans) use a paler variant of their dominant
   state's colour (``theme.merged_color``) plus a thin base line, so "many tiny spans" reads differently
   from one long span. A merged run is drawn **as full as it is covered**
   (``lod.run_coverage``): a faint box over its extent and, from the bottom, a
   bar of ``coverage × height`` (at least 1 px) — so a stop-the-world row whose
   runs are 1 % STW looks nearly empty at full zoom-out, not solid.
4. **Labels** only on unmerged spans at least ``LABEL_MIN_PX`` (5 px, Perfetto's
   constant) wide whose elided label still shows ``LABEL_MIN_CHARS`` characters; an
   ID (``G29577``) is never cut short — "G29…" would name another goroutine.

**Lifetime** (what a Go engineer expects of a goroutine's row; Go's states
``GoNotExist`` / ``GoUndetermined``). Where the goroutine does not exist — before
it was created, after it exited, a cgo callback goroutine between callbacks (the
model's ``NotExist`` spans, code ``StateFamily.EXITED``) — nothing is drawn; its
exit is a thin tick (``EXIT_TICK_PX``) in the ``exited`` colour. A goroutine that
already existed when the trace (or flight-recorder snapshot) began has an unknown
state until its first event: a dashed line in the ``UNKNOWN`` colour from the
trace start to its first span, when ``lifetime_of(row)`` says so
(``LIFETIME_BEFORE``). State codes are :class:`~goroscope.ui.theme.StateFamily`
values (every source's ``state_families()`` is ``list(StateFamily)``).

Rects per frame are bounded by pixels: ≤ visible_rows × (width_px / min_px + 2).
Hit testing (:meth:`hit_test`) works on the spans themselves, independent of
zoom.

**Background merge** (STYLE §4.5.9, optional: :meth:`set_background`). When the
rows a view change makes stale hold more than ``budget_spans`` spans in their
buffered windows (an overview of dense processor rows, thousands of goroutines),
the merge runs as a job through the :class:`~goroscope.ui.bridge.JobBridge`
(kernels release the GIL). Meanwhile each row keeps drawing its previous runs —
they are in ns, so they land at the right place, only at the old resolution
(gotraceui's texture stack) — and rows never merged stay empty. When the newest
request arrives its runs replace the cache and the item repaints; older ones are
dropped by the bridge. Without a bridge every merge is synchronous.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from numpy.typing import NDArray
from PySide6.QtCore import QPointF, QRectF, Qt, Signal, Slot
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QFontMetricsF,
    QPainter,
    QPen,
    QStaticText,
    QTransform,
)

from goroscope.jobs.reaper import retire
from goroscope.lod.merge import merge_spans, window
from goroscope.lod.raster import dominant_state, run_coverage
from goroscope.lod.viewport import BufferedBounds, Viewport
from goroscope.ui.bridge import JobBridge
from goroscope.ui.items.prims import RectArray
from goroscope.ui.theme import StateFamily, merged_color, text_color_for

#: Smallest span width (device px) that gets a label (Perfetto's SLICE_MIN_WIDTH_FOR_TEXT_PX).
LABEL_MIN_PX = 5.0
#: Merge threshold in device px (``Viewport.merge_min_ns`` turns it into 2–4 px).
MIN_SPAN_PX = 2.0
#: An elided label keeps at least this many characters before its "…", else none is drawn.
LABEL_MIN_CHARS = 3
#: At most this many labels per frame (text is the slowest thing we draw).
MAX_LABELS = 2000
#: The label caches (candidates per span, text per (candidates, width), laid-out glyphs)
#: are dropped when one holds more entries than this.
LABEL_CACHE_MAX = 50_000
#: More stale spans than this in one view change → merge in a job (when a bridge is set).
BACKGROUND_BUDGET_SPANS = 2_000_000

#: State code of "does not exist" spans (a goroutine after its exit, a cgo goroutine
#: between callbacks): drawn as a thin exit tick at their start, nothing over their extent.
ABSENT_STATE = int(StateFamily.EXITED)
#: State code whose colour marks "state unknown" (before a goroutine's first event).
UNKNOWN_STATE = int(StateFamily.UNKNOWN)
#: ``lifetime_of(row)`` value of a row whose goroutine existed before its first event
#: (Go's GoUndetermined: alive when the trace or flight-recorder snapshot began).
LIFETIME_BEFORE = 2
#: The "state unknown" line is drawn only when at least this wide (device px).
UNKNOWN_MIN_PX = 14.0
#: Width (device px) of the exit tick.
EXIT_TICK_PX = 2.0

SpanArrays = tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.integer]]


def _identity(row: int) -> int:
    return row


@dataclass(frozen=True, slots=True)
class _RowRuns:
    bounds: BufferedBounds
    start_ns: NDArray[np.int64]
    end_ns: NDArray[np.int64]
    count: NDArray[np.int64]
    first: NDArray[np.int64]
    state: NDArray[np.int64]
    cover: NDArray[np.float64]  # fraction of each run's extent its spans cover


def merge_row(spans: SpanArrays, bounds: BufferedBounds, min_ns: int, n_states: int) -> _RowRuns:
    """The runs of one row for ``bounds`` (pure; numpy/numba only, any thread)."""
    start, end, state = spans
    lo, hi = window(start, end, bounds.t0_ns, bounds.t1_ns)
    rs, re_, count, first = merge_spans(start, end, lo, hi, min_ns)
    dom = dominant_state(start, end, state, rs, re_, first, count, n_states)
    cov = run_coverage(start, end, rs, re_, first, count)
    return _RowRuns(bounds, rs, re_, count, first, dom, cov)


def _merge_rows(
    spans: list[SpanArrays], bounds: BufferedBounds, min_ns: int, n_states: int
) -> list[_RowRuns]:
    """Job: the runs of each row for ``bounds`` (pure; numpy/numba only, any thread)."""
    return [merge_row(sp, bounds, min_ns, n_states) for sp in spans]


def _as_span_arrays(got) -> SpanArrays:
    s, e, st = got[0], got[1], got[2]
    return np.asarray(s, np.int64), np.asarray(e, np.int64), np.asarray(st)


def _build_and_merge_rows(
    build_of: Callable[[int], tuple],
    rows: list[int],
    have: dict[int, SpanArrays],
    bounds: BufferedBounds,
    min_ns: int,
    n_states: int,
    *,
    cancel=None,
) -> tuple[list[_RowRuns], dict[int, tuple]]:
    """Job: build the rows not in ``have`` (``build_of(row)``, pure) and merge every row.

    Returns the runs per row of ``rows`` and the built arrays per row (for the
    source to cache on the GUI thread).
    """
    runs, built = [], {}
    for r in rows:
        if cancel is not None:
            cancel.raise_if_set()
        sp = have.get(r)
        if sp is None:
            got = build_of(r)
            built[r] = got
            sp = _as_span_arrays(got)
        runs.append(merge_row(sp, bounds, min_ns, n_states))
    return runs, built


def _build_keyed_row(builder, key_of, row: int, key) -> tuple[int, tuple | None]:
    """Job: ``builder.build_row(row)`` if ``row`` still shows ``key`` (the layout may change
    meanwhile: then ``(row, None)``). Pure; any thread."""
    if key_of(row) != key:
        return row, None
    built = builder.build_row(row)
    return row, (built if key_of(row) == key else None)


@dataclass(frozen=True, slots=True)
class PreparedRows:
    """Rows built and merged off the GUI thread for a predicted view (seed of a track's caches).

    keys : row key per entry; spans : SpanArrays per key; runs : _RowRuns per key
    (for one buffered bounds), missing for rows not merged.
    """

    spans: dict
    runs: dict


def prepare_rows(
    rows: Sequence[int],
    spans_of: Callable[[int], SpanArrays],
    key_of: Callable[[int], object],
    vp: Viewport | None,
    *,
    min_px: float = MIN_SPAN_PX,
    n_states: int,
) -> PreparedRows:
    """Job: spans and runs of ``rows`` for viewport ``vp`` (pure; any thread).

    What a :class:`SpanTrackItem` would compute in its first paint of ``vp``;
    hand it to :meth:`SpanTrackItem.set_rows` (``prepared=``) so that paint only
    draws.
    """
    spans, runs = {}, {}
    b = vp.buffered() if vp is not None else None
    min_ns = vp.merge_min_ns(min_px, b.resolution_ns) if vp is not None else 0
    for r in rows:
        k = key_of(r)
        sp = _as_span_arrays(spans_of(r))
        spans[k] = sp
        if b is not None:
            runs[k] = merge_row(sp, b, min_ns, n_states)
    return PreparedRows(spans, runs)


class _LabelFont:
    """One label font size and its caches (GUI thread only).

    ``shown(options, avail)``: gotraceui's rule — the first candidate that fits whole
    in ``avail`` px, else the last one elided (never an ID cut short: "G29…" names
    another goroutine; never fewer than ``LABEL_MIN_CHARS`` characters before the
    "…"); "" for none. Cached per (candidates, exact width), so the text is what an
    uncached call gives. ``static(text)``: the text's laid-out glyphs.
    """

    __slots__ = ("font", "fm", "text_h", "_asc", "min_text_px", "_widths", "_shown", "_static")

    def __init__(self, font: QFont) -> None:
        self.font = font
        self.fm = QFontMetrics(font)
        fmf = QFontMetricsF(font)
        self.text_h = fmf.height()
        self._asc = fmf.ascent()
        self._widths: dict[str, int] = {}
        self._shown: dict[tuple[tuple[str, ...], int], str] = {}
        self._static: dict[str, QStaticText] = {}
        self.min_text_px = self.width("W…") + 4

    def width(self, text: str) -> int:
        got = self._widths.get(text)
        if got is None:
            if len(self._widths) >= LABEL_CACHE_MAX:
                self._widths.clear()
            got = self._widths[text] = self.fm.horizontalAdvance(text)
        return got

    def shown(self, options: tuple[str, ...], avail: int) -> str:
        key = (options, avail)
        got = self._shown.get(key)
        if got is not None:
            return got
        if not options:
            return ""
        got = next((t for t in options if t and self.width(t) <= avail), None)
        if got is None:
            last = options[-1]
            if " " not in last and any(c.isdigit() for c in last):
                got = ""  # an ID cut short names another goroutine ("G29…" of G29577)
            else:
                got = self.fm.elidedText(last, Qt.TextElideMode.ElideRight, avail)
                if len(got.rstrip("…")) < LABEL_MIN_CHARS:
                    got = ""  # "G…", "ru…" (running? runnable?) say nothing
        if len(self._shown) >= LABEL_CACHE_MAX:
            self._shown.clear()
        self._shown[key] = got
        return got

    def static(self, text: str) -> QStaticText:
        st = self._static.get(text)
        if st is None:
            if len(self._static) >= LABEL_CACHE_MAX // 8:  # ~1 KB each
                self._static.clear()
            st = self._static[text] = QStaticText(text)
            st.setTextFormat(Qt.TextFormat.PlainText)
            st.prepare(QTransform(), self.font)
        return st

    def text_top(self, y: float, h: float) -> int:
        """Top of the text ``drawText(QRectF(x, y, w, h), AlignVCenter)`` draws: centred
        by the font's real height, the baseline on a whole pixel (Qt's rounding)."""
        asc = self._asc
        return math.floor(y + (h - self.text_h) / 2 + asc + 0.5) - math.floor(asc + 0.5)


@dataclass(frozen=True, slots=True)
class FramePlan:
    """What one frame draws: the visible runs of the visible rows (flat arrays, length m)."""

    viewport: Viewport
    row: NDArray[np.int64]
    start_ns: NDArray[np.int64]
    end_ns: NDArray[np.int64]
    count: NDArray[np.int64]
    first: NDArray[np.int64]
    state: NDArray[np.int64]
    cover: NDArray[np.float64]

    def __len__(self) -> int:
        return len(self.row)


class SpanTrackItem(pg.GraphicsObject):
    """Rows of state spans with level of detail.

    ``row_built(key)`` is emitted when a row that :meth:`ensure_row` sent to a job is in.

    Parameters
    ----------
    n_rows : int
        Number of rows.
    spans_of : callable
        ``spans_of(row) -> (start_ns, end_ns, state)``: ``(n,)`` int64 ns since
        trace start (sorted, non-overlapping) and ``(n,)`` integer state codes.
        Called for visible rows only; it may build lazily.
    colors : sequence of QColor
        Colour per state code.
    duration_ns : int
        Extent of the x axis (the bounding rect).
    label_of : callable, optional
        ``label_of(row, span_idx)`` for wide unmerged spans: a ``str``, or a
        sequence of candidates from longest to shortest (the first that fits
        whole is drawn, else the last one elided).
    row_height : float
        Fraction of a row the bar fills.
    """

    row_built = Signal(object)
    #: Draw labels as cached ``QStaticText`` (False: ``drawText`` each time — the same
    #: pixels, tests compare the two).
    static_labels = True

    def __init__(
        self,
        n_rows: int,
        spans_of: Callable[[int], SpanArrays],
        colors: Sequence[QColor],
        duration_ns: int,
        *,
        label_of: Callable[[int, int], str | Sequence[str]] | None = None,
        row_height: float = 0.8,
        min_px: float = MIN_SPAN_PX,
        highlight_color: QColor | None = None,
        lifetime_of: Callable[[int], bool] | None = None,
        key_of: Callable[[int], object] | None = None,
        builder: object | None = None,
    ) -> None:
        super().__init__()
        self._n_rows = int(n_rows)
        self._spans_of = spans_of
        self._key_of = key_of or _identity
        self._builder = builder
        self._duration_ns = int(duration_ns)
        self._label_of = label_of
        self._lifetime_of = lifetime_of  # rows with lifetime marks (default all; LIFETIME_*)
        self._row_height = float(row_height)
        self._min_px = float(min_px)
        self._highlight_color = QColor(highlight_color or QColor("#ff00ff"))
        self._cache: dict[int, _RowRuns] = {}
        self._spans_cache: dict[int, SpanArrays] = {}
        self._rect_arrays: dict[int, RectArray] = {}
        self._last_plan: FramePlan | None = None
        self._plan_key: tuple | None = None  # what the last plan was made for (paint reuses it)
        self._first_unknown: dict = {}  # row key → its first span's start if LIFETIME_BEFORE, else None
        self._last_rect_count = 0
        self._highlight: tuple[int, int] | None = None
        self._marked: set = set()  # row keys drawn with a band (a selected task's rows)
        self._bridge: JobBridge | None = None
        self._budget_spans = BACKGROUND_BUDGET_SPANS
        self._pending: tuple[int, tuple, list[int]] | None = None  # (request id, key, rows)
        self.background_merges = 0  # jobs submitted (for tests and the status bar)
        self._row_requests: dict[int, object] = {}  # request id → row key (ensure_row)
        self._label_fonts: dict[int, _LabelFont] = {}  # pixel size → font and its caches
        self._options: dict[tuple, tuple[str, ...]] = {}  # (row key, span) → label_of's
        self.drawn_labels: list[str] = []  # the last paint's label texts (tests)
        self._font = QFont()
        self._font.setPixelSize(10)
        self.set_colors(colors)

    # -- data ----------------------------------------------------------------------
    @property
    def n_rows(self) -> int:
        return self._n_rows

    def set_colors(self, colors: Sequence[QColor]) -> None:
        """Colour per state code; merged runs get a paler variant (theme.merged_color)."""
        self._colors = [QColor(c) for c in colors]
        self._merged_colors = [merged_color(QColor(c)) for c in colors]
        self._text_colors = [text_color_for(c) for c in self._colors]
        self._plan_key = None  # n_states of the merges
        self.update()

    def set_rows(
        self,
        n_rows: int,
        spans_of: Callable[[int], SpanArrays],
        duration_ns: int,
        *,
        key_of: Callable[[int], object] | None = None,
        builder: object | None = None,
        keep: bool = False,
        prepared: PreparedRows | None = None,
    ) -> None:
        """Replace the rows.

        ``keep``: the data behind each row key is unchanged (a relayout: rows
        reordered, expanded, collapsed), so cached spans and runs stay. Otherwise
        every cache is dropped and seeded from ``prepared`` (built in a job).
        ``key_of(row)`` names what a row shows (default: the row index);
        ``builder`` (optional) has ``spans_ready(row)``, ``build_row(row)``
        (pure, run in a job) and ``adopt(row, built)``: rows that are not ready
        are built in a job instead of during paint (needs :meth:`set_background`).
        """
        if (int(n_rows), int(duration_ns)) != (self._n_rows, self._duration_ns):
            self.prepareGeometryChange()  # only a changed rect (the scene's bookkeeping)
        self._n_rows = int(n_rows)
        self._spans_of = spans_of
        self._duration_ns = int(duration_ns)
        self._key_of = key_of or _identity
        self._builder = builder
        self._pending = None
        self._plan_key = None
        self._first_unknown = {}
        if keep:
            self._last_plan = None
            self.update()
            return
        self.invalidate()
        if prepared is not None:
            self._spans_cache.update(prepared.spans)
            self._cache.update(prepared.runs)

    def invalidate(self) -> None:
        """Forget cached runs (data changed).

        The old caches go to the reaper (whole rows of a replaced snapshot: hundreds of
        MB on big traces, not freed on the GUI thread; ``goroscope.jobs.reaper``).
        """
        old = (self._cache, self._spans_cache, self._last_plan)
        self._cache, self._spans_cache = {}, {}
        self._options = {}  # label candidates are per (row key, span): the data changed
        self._last_plan = None
        self._plan_key = None
        self._first_unknown = {}
        retire(old)
        self.update()

    def spans(self, row: int) -> SpanArrays:
        """The spans of ``row`` (from ``spans_of``; memoised for visible rows)."""
        k = self._key_of(row)
        got = self._spans_cache.get(k)
        if got is None:
            got = _as_span_arrays(self._spans_of(row))
            self._spans_cache[k] = got
        return got

    def _spans_if_ready(self, row: int) -> SpanArrays | None:
        """The spans of ``row`` if they are cheap now (None: a job builds them)."""
        if self._key_of(row) in self._spans_cache or self._ready(row):
            return self.spans(row)
        return None

    def key_of(self, row: int) -> object:
        """What ``row`` shows (its cache key; the row index without a ``key_of``)."""
        return self._key_of(row)

    def spans_ready(self, row: int) -> bool:
        """Whether :meth:`spans` of ``row`` is cheap now (cached or quick to build)."""
        return self._key_of(row) in self._spans_cache or self._ready(row)

    def _ready(self, row: int) -> bool:
        b = self._builder
        return b is None or self._bridge is None or b.spans_ready(row)

    def set_highlight(self, row: int | None, span_idx: int = -1) -> None:
        """Outline span ``span_idx`` of ``row`` (``None`` clears)."""
        self._highlight = None if row is None or span_idx < 0 else (int(row), int(span_idx))
        self.update()

    def set_marked(self, keys) -> None:
        """Mark the rows whose key is in ``keys`` with a band behind their spans."""
        self._marked = set(keys)
        self.update()

    def marked_rows(self, row_lo: int, row_hi: int) -> list[int]:
        """The marked rows among ``row_lo..row_hi-1``."""
        if not self._marked:
            return []
        return [
            r
            for r in range(max(row_lo, 0), min(row_hi, self._n_rows))
            if self._key_of(r) in self._marked
        ]

    def set_background(
        self, bridge: JobBridge | None, budget_spans: int = BACKGROUND_BUDGET_SPANS
    ) -> None:
        """Merge in jobs through ``bridge`` when a view change touches > ``budget_spans`` spans."""
        if self._bridge is not None:
            self._bridge.finished.disconnect(self._on_merge_finished)
            self._bridge.failed.disconnect(self._on_row_failed)
            self._bridge.dropped.disconnect(self._on_row_failed)
        self._bridge = bridge
        self._budget_spans = int(budget_spans)
        self._pending = None
        self._plan_key = None
        self._row_requests.clear()
        if bridge is not None:
            bridge.finished.connect(self._on_merge_finished)
            bridge.failed.connect(self._on_row_failed)
            bridge.dropped.connect(self._on_row_failed)

    def merge_pending(self) -> bool:
        """Whether a background merge for the current view is still running."""
        return self._pending is not None

    def ensure_row(self, row: int) -> bool:
        """Whether the spans of ``row`` are ready; if not, build them in a job (once) and
        emit ``row_built(key)`` when they are in. Selecting or revealing a span of a
        long-lived goroutine (2 M spans) must not build its row on the GUI thread."""
        if self.spans_ready(row):
            return True
        key = self._key_of(row)
        if key in self._row_requests.values():
            return False
        rid = self._bridge.submit(
            ("span-row", id(self), key), _build_keyed_row, self._builder, self._key_of, row, key
        )
        self._row_requests[rid] = key
        return False

    def _on_row_failed(self, request_id: int, _exc: object = None) -> None:
        self._row_requests.pop(request_id, None)  # a later ensure_row asks again

    def _on_row_built(self, request_id: int, result: object) -> bool:
        key = self._row_requests.pop(request_id, None)
        if key is None:
            return False
        row, built = result
        if built is not None and row < self._n_rows and self._key_of(row) == key:
            if self._builder is not None:
                built = self._builder.adopt(row, built)
            self._spans_cache[key] = _as_span_arrays(built)
            self._plan_key = None
            self.update()
            self.row_built.emit(key)
        return True

    @Slot(int, object)
    def _on_merge_finished(self, request_id: int, result: object) -> None:
        if self._on_row_built(request_id, result):
            return
        if self._pending is None or request_id != self._pending[0]:
            return
        rows = self._pending[2]
        self._pending = None
        if isinstance(result, tuple):  # rows built in the job too
            result, built = result
            for row, got in built.items():
                if self._builder is not None:
                    got = self._builder.adopt(row, got)
                self._spans_cache[self._key_of(row)] = _as_span_arrays(got)
        for row, runs in zip(rows, result, strict=True):
            self._cache[self._key_of(row)] = runs
        self._plan_key = None
        self.update()

    def _submit_background(self, vp: Viewport, rows: list[int]) -> bool:
        """Start a job for ``rows`` if they are too much work for this frame; True if merging there."""
        b = vp.buffered()
        key = (b, rows[0], rows[-1])
        if self._pending is not None:
            pb, p_first, p_last = self._pending[1]
            if pb.serves(vp) and (p_first, p_last) == (rows[0], rows[-1]):
                return True  # the running job will serve this view too
        min_ns = vp.merge_min_ns(self._min_px, b.resolution_ns)
        n_states = max(len(self._colors), 1)
        unready = [r for r in rows if not (self._key_of(r) in self._spans_cache or self._ready(r))]
        if unready:  # some rows are slow to build (long-lived goroutines): all in a job
            skip = set(unready)
            have = {r: self.spans(r) for r in rows if r not in skip}
            rid = self._bridge.submit(
                ("span-merge", id(self)),
                _build_and_merge_rows,
                self._builder.build_row,
                list(rows),
                have,
                b,
                min_ns,
                n_states,
                cancel=JobBridge.CANCEL,
            )
            self._pending = (rid, key, rows)
            self.background_merges += 1
            return True
        spans = [self.spans(r) for r in rows]
        work = 0
        for start, end, _ in spans:
            lo, hi = window(start, end, b.t0_ns, b.t1_ns)
            work += hi - lo
        if work <= self._budget_spans:
            return False
        rid = self._bridge.submit(("span-merge", id(self)), _merge_rows, spans, b, min_ns, n_states)
        self._pending = (rid, key, rows)
        self.background_merges += 1
        return True

    # -- level of detail -----------------------------------------------------------
    def _row_runs(self, row: int, vp: Viewport) -> _RowRuns:
        k = self._key_of(row)
        cached = self._cache.get(k)
        if cached is not None and cached.bounds.serves(vp):
            return cached
        b = vp.buffered()
        min_ns = vp.merge_min_ns(self._min_px, b.resolution_ns)
        runs = merge_row(self.spans(row), b, min_ns, max(len(self._colors), 1))
        self._cache[k] = runs
        return runs

    def plan(self, vp: Viewport, row_lo: int, row_hi: int) -> FramePlan:
        """The runs of rows ``row_lo..row_hi-1`` visible in ``vp`` (no Qt; testable)."""
        row_lo, row_hi = max(0, row_lo), min(self._n_rows, row_hi)
        parts: list[tuple] = []
        background = False
        if self._bridge is not None:
            stale = [
                r
                for r in range(row_lo, row_hi)
                if (c := self._cache.get(self._key_of(r))) is None or not c.bounds.serves(vp)
            ]
            background = bool(stale) and self._submit_background(vp, stale)
        for row in range(row_lo, row_hi):
            if background:
                runs = self._cache.get(self._key_of(row))  # the previous runs, or nothing yet
                if runs is None:
                    continue
            else:
                runs = self._row_runs(row, vp)
            k0 = int(np.searchsorted(runs.end_ns, vp.t0_ns, "left"))
            k1 = int(np.searchsorted(runs.start_ns, vp.t1_ns, "right"))
            if k1 > k0:
                sl = slice(k0, k1)
                parts.append(
                    (
                        np.full(k1 - k0, row, np.int64),
                        runs.start_ns[sl],
                        runs.end_ns[sl],
                        runs.count[sl],
                        runs.first[sl],
                        runs.state[sl],
                        runs.cover[sl],
                    )
                )
        if len(self._cache) > 4 * (row_hi - row_lo) + 512:  # keep the cache near the view
            keep = {self._key_of(r) for r in range(row_lo, row_hi)}
            old = (self._cache, self._spans_cache)  # freed on the reaper thread
            self._cache = {r: v for r, v in self._cache.items() if r in keep}
            self._spans_cache = {r: v for r, v in self._spans_cache.items() if r in keep}
            retire(old)
        if parts:
            cols = [np.concatenate(c) for c in zip(*parts, strict=True)]
        else:
            cols = [np.empty(0, np.int64) for _ in range(6)] + [np.empty(0, np.float64)]
        return FramePlan(vp, *cols)

    # -- queries ---------------------------------------------------------------------
    def drawn_rect_count(self) -> int:
        """Rectangles the last paint drew (spans, merged runs, excluding outlines/text)."""
        return self._last_rect_count

    def last_plan(self) -> FramePlan | None:
        return self._last_plan

    def hit_test(self, t_ns: float, row: int, tolerance_ns: float = 0.0) -> int:
        """Index of the span of ``row`` at ``t_ns`` (or within ``tolerance_ns``), else -1."""
        if not 0 <= row < self._n_rows:
            return -1
        start, end, _ = self.spans(row)
        if len(start) == 0:
            return -1
        i = int(np.searchsorted(start, t_ns, "right")) - 1
        if i >= 0 and (t_ns < end[i] or (start[i] == end[i] == t_ns)):
            return i
        best, best_d = -1, tolerance_ns
        for j in (i, i + 1):
            if 0 <= j < len(start):
                d = start[j] - t_ns if t_ns < start[j] else t_ns - end[j]
                if d <= best_d:
                    best, best_d = j, d
        return best

    def run_at(
        self, t_ns: float, row: int, tolerance_ns: float = 0.0
    ) -> tuple[int, int, int, int] | None:
        """The drawn run of ``row`` at ``t_ns`` in the last frame: ``(first, count, start_ns, end_ns)``.

        Its covered fraction is ``(spans' time inside it) / (end_ns - start_ns)``.
        """
        p = self._last_plan
        if p is None:
            return None
        m = (p.row == row) & (p.start_ns - tolerance_ns <= t_ns) & (t_ns < p.end_ns + tolerance_ns)
        k = np.flatnonzero(m)
        if len(k) == 0:
            return None
        j = int(k[0])
        return int(p.first[j]), int(p.count[j]), int(p.start_ns[j]), int(p.end_ns[j])

    # -- pyqtgraph / Qt overrides (camelCase) ------------------------------------------
    def boundingRect(self) -> QRectF:  # noqa: N802
        return QRectF(0.0, 0.0, float(max(self._duration_ns, 1)), float(max(self._n_rows, 1)))

    def paint(self, p: QPainter, *args) -> None:
        vb = self.getViewBox()
        if vb is None or self._n_rows == 0:
            return
        (x0, x1), (y0, y1) = vb.viewRange()
        tr = p.worldTransform()
        sx, dx, sy, dy = tr.m11(), tr.dx(), tr.m22(), tr.dy()
        pos = self.pos()  # rows may be offset inside the view
        x0, x1, y0, y1 = x0 - pos.x(), x1 - pos.x(), y0 - pos.y(), y1 - pos.y()
        width_px = abs((x1 - x0) * sx)
        if not (x1 > x0 and width_px >= 1):
            return
        # a repaint of the same view over the same data (a hover, a selection, another
        # item's update) reuses the last plan; a plan drawn from a running background
        # merge's previous runs is never reused (the merge's result replaces them)
        key = (x0, x1, width_px, int(math.floor(y0)), int(math.ceil(y1)))
        plan = self._last_plan
        if plan is None or key != self._plan_key:
            plan = self.plan(Viewport(x0, x1, width_px), key[3], key[4])
            self._last_plan = plan
            self._plan_key = key if self._pending is None else None
        n = len(plan)
        self._last_rect_count = n
        row_lo, row_hi = max(0, int(math.floor(y0))), min(self._n_rows, int(math.ceil(y1)))
        self._paint_marks(p, row_lo, row_hi, x0, x1, sx, dx, sy, dy)
        self._paint_lifetimes(p, row_lo, row_hi, x0, x1, sx, dx, sy, dy)
        if n == 0:
            return

        # Device coordinates, clipped to the visible range so Qt never sees huge values
        # (and nothing spills over the row axis at the left edge).
        left, right = sorted((x0 * sx + dx, x1 * sx + dx))
        xs = np.clip(plan.start_ns * sx + dx, left, right)
        xe = np.clip(plan.end_ns * sx + dx, left, right)
        if sx < 0:
            xs, xe = xe, xs
        w = np.maximum(xe - xs, 1.0)
        # "does not exist" spans: an exit tick at their start, nothing over their extent;
        # merged runs that are mostly non-existence are not drawn (the faintest hint: none)
        absent = plan.state == ABSENT_STATE
        w = np.where(absent, EXIT_TICK_PX, w)
        pad = (1.0 - self._row_height) / 2
        ya = (plan.row + pad) * sy + dy
        yb = (plan.row + 1 - pad) * sy + dy
        ytop = np.minimum(ya, yb)
        h = float(abs(yb[0] - ya[0]))
        merged = plan.count > 1
        # (an absent span begun left of the view has its exit out of view: no tick)
        drawn = ~(absent & (merged | (plan.start_ns < x0)))

        p.save()
        p.resetTransform()
        p.setPen(Qt.PenStyle.NoPen)
        n_colors = len(self._colors)
        key = np.where(plan.state < n_colors, plan.state, n_colors - 1) * 2 + merged
        # merged runs: a bar as high as the run is covered, bottom-aligned, over a faint box
        fill_h = np.where(merged, np.clip(plan.cover * h, 1.0, h), h)
        sparse = merged & (plan.cover < 0.95)
        # the colours present (0 <= key < 2 × colours): a bincount, not np.unique's sort
        for k in np.flatnonzero(np.bincount(key[drawn], minlength=1)):
            sel = (key == k) & drawn
            state, is_merged = divmod(int(k), 2)
            color = self._merged_colors[state] if is_merged else self._colors[state]
            if is_merged:
                faint = sel & sparse
                if faint.any():
                    arr = self._rect_arrays.setdefault(-10 - int(k), RectArray())
                    arr.set(xs[faint], ytop[faint], w[faint], h)
                    c = QColor(color)
                    c.setAlpha(45)
                    p.setBrush(c)
                    arr.draw(p)
            arr = self._rect_arrays.setdefault(int(k), RectArray())
            fh = fill_h[sel]
            arr.set(xs[sel], ytop[sel] + h - fh, w[sel], fh)
            p.setBrush(color)
            arr.draw(p)
        base = merged & drawn
        if base.any() and h >= 6:  # a thin dark base line marks merged runs
            arr = self._rect_arrays.setdefault(-1, RectArray())
            arr.set(xs[base], ytop[base] + h - max(1.0, h / 8), w[base], max(1.0, h / 8))
            p.setBrush(QColor(0, 0, 0, 90))
            arr.draw(p)
        self._paint_labels(p, plan, xs, w, ytop, h, merged | absent)
        self._paint_highlight(p, sx, dx, sy, dy, pad, left, right)
        p.restore()

    def _paint_marks(self, p, row_lo, row_hi, x0, x1, sx, dx, sy, dy) -> None:
        rows = self.marked_rows(row_lo, row_hi)
        if not rows:
            return
        c = QColor(self._highlight_color)
        c.setAlpha(60)
        p.save()
        p.resetTransform()
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(c)
        xa, xb = sorted((x0 * sx + dx, x1 * sx + dx))
        for r in rows:
            ya, yb = sorted((r * sy + dy, (r + 1) * sy + dy))
            p.drawRect(QRectF(xa, ya, xb - xa, yb - ya))
        p.restore()

    def _paint_lifetimes(self, p, row_lo, row_hi, x0, x1, sx, dx, sy, dy) -> None:
        """A dashed "state unknown" line before the first span of a goroutine that existed
        before it (``lifetime_of(row) == LIFETIME_BEFORE``; module docstring, "Lifetime").

        Nothing is drawn before a goroutine created in the trace nor after its exit: it
        did not exist there. One short loop over the visible rows, no span loop.
        """
        if self._lifetime_of is None:
            return
        items = []
        if len(self._first_unknown) > LABEL_CACHE_MAX:  # scrolled through many rows
            self._first_unknown = {}
        known = self._first_unknown  # per row key: the row's data do not change under it
        for row in range(row_lo, row_hi):
            k = self._key_of(row)
            first = known.get(k, False)
            if first is False:
                if self._lifetime_of(row) != LIFETIME_BEFORE:
                    first = known[k] = None
                else:
                    got = self._spans_if_ready(row)
                    if got is None:  # built in a job: asked again next paint
                        continue
                    first = known[k] = float(got[0][0]) if len(got[0]) else None
            if first is not None and first > max(x0, 0.0):
                items.append((row, max(x0, 0.0), min(first, x1)))
        if not items:
            return
        a = np.array(items, dtype=np.float64)
        xa, xb = a[:, 1] * sx + dx, a[:, 2] * sx + dx
        ymid = np.floor((a[:, 0] + 0.5) * sy + dy)
        left, width = np.minimum(xa, xb), np.abs(xb - xa)
        # a few px before the first span (most goroutines of a whole trace: their status
        # event comes right at its start) read as a stray "-" after the row's name: not drawn
        wide = width >= UNKNOWN_MIN_PX
        if not wide.any():
            return
        left, width, ymid = left[wide], width[wide], ymid[wide]
        # dashes of 4 × 2 px every 7 px as rects (one drawRects; pens with dash patterns
        # restart at each line and cost more): at most width_px / 7 per row
        dash, period = 4.0, 7.0
        n = np.ceil(width / period).astype(np.int64)
        k = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
        rx = np.repeat(left, n) + k * period
        rw = np.minimum(dash, np.repeat(left + width, n) - rx)
        keep = rw > 0
        arr = self._rect_arrays.setdefault(-2, RectArray())
        arr.set(rx[keep], np.repeat(ymid, n)[keep] - 1.0, rw[keep], 2.0)
        c = self._colors[UNKNOWN_STATE] if len(self._colors) > UNKNOWN_STATE else QColor("gray")
        p.save()
        p.resetTransform()
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(c)
        arr.draw(p)
        p.restore()

    def _label_font(self, h: float) -> _LabelFont:
        px = int(min(12, max(8, h - 3)))
        lf = self._label_fonts.get(px)
        if lf is None:
            font = QFont(self._font)
            font.setPixelSize(px)
            lf = self._label_fonts[px] = _LabelFont(font)
        return lf

    def _label_options(self, row: int, span: int) -> tuple[str, ...]:
        """``label_of(row, span)`` as a tuple, cached per (row key, span) until the data change."""
        key = (self._key_of(row), span)
        got = self._options.get(key)
        if got is None:
            if len(self._options) >= LABEL_CACHE_MAX:
                self._options = {}
            got = self._label_of(row, span)
            got = self._options[key] = (got,) if isinstance(got, str) else tuple(got)
        return got

    def _paint_labels(self, p, plan, xs, w, ytop, h, merged) -> None:
        """Labels of the wide unmerged spans (module doc, 4.).

        Cached (a repaint, a pan or a hover lays out no text again): the candidates
        per (row key, span), the chosen text per (candidates, width) and its glyphs
        as ``QStaticText`` per font size (:class:`_LabelFont`). A static text is drawn
        where ``drawText(rect, AlignLeft | AlignVCenter)`` puts the text (the same
        pixels: tests/ui/test_span_labels.py); a row too low for the font keeps
        ``drawText``, which clips the text to the row, and so does a device pixel
        ratio other than 1 (Qt rounds the baseline in device pixels there).
        """
        drawn = self.drawn_labels = []
        if self._label_of is None or h < 9:
            return
        cand = np.flatnonzero(~merged & (w >= LABEL_MIN_PX))
        if len(cand) == 0:
            return
        lf = self._label_font(h)
        cand = cand[w[cand] >= lf.min_text_px][:MAX_LABELS]
        if len(cand) == 0:
            return
        p.setFont(lf.font)
        # the static text's place is computed in whole logical pixels: only where those are
        # device pixels (a HiDPI screen keeps drawText: Qt rounds there in device pixels)
        dev = p.device()
        dpr = dev.devicePixelRatioF() if dev is not None else 1.0
        static = self.static_labels and lf.text_h <= h and dpr == 1.0
        flags = int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft)
        text_colors, n_text = self._text_colors, len(self._text_colors)
        rows, firsts, states = plan.row[cand].tolist(), plan.first[cand].tolist(), plan.state[cand]
        last_state = None
        for i, j in enumerate(cand.tolist()):
            avail = int(w[j]) - 4
            shown = lf.shown(self._label_options(rows[i], firsts[i]), avail)
            if not shown:
                continue
            drawn.append(shown)
            st = int(states[i])
            if st != last_state:
                p.setPen(text_colors[st] if st < n_text else QColor("black"))
                last_state = st
            x, y = float(xs[j]) + 2, float(ytop[j])
            if static:
                p.drawStaticText(QPointF(x, lf.text_top(y, h)), lf.static(shown))
            else:
                p.drawText(QRectF(x, y, float(avail), h), flags, shown)

    def _paint_highlight(self, p, sx, dx, sy, dy, pad, left, right) -> None:
        if self._highlight is None:
            return
        row, idx = self._highlight
        start, end, _ = self.spans(row)
        if not 0 <= idx < len(start):
            return
        xa = min(max(start[idx] * sx + dx, left - 3), right + 3)
        xb = min(max(end[idx] * sx + dx, left - 3), right + 3)
        ya, yb = (row + pad) * sy + dy, (row + 1 - pad) * sy + dy
        pen = QPen(self._highlight_color)
        pen.setWidthF(2.0)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        x, y = min(xa, xb), min(ya, yb)
        p.drawRect(QRectF(x - 1, y - 1, max(abs(xb - xa), 1.0) + 2, abs(yb - ya) + 2))
