"""Goroutine events panel: the selected goroutine's transitions and who unblocked it (GUI thread).

For the goroutine of the selection (``GoroutineRef`` or one of its spans) a table
lists every transition — row i is span i of the timeline: time, from → to state,
reason, the proc it happened on, how long the new state lasted (a GoStatus at a
generation boundary, which only continues a state, is marked "status"). The
columns come from :func:`goroscope.ui.models.event_table.goroutine_events` in a
job (a long-lived goroutine of a big trace has millions of rows; the table is a
:class:`~goroscope.ui.models.table.NumpyTableModel`).

The current row's details are re-decoded in a job
(:func:`~goroscope.ui.models.event_table.resolve_event`): Go's event, proc and
thread, the top of its stack (every stack: the Stacks panel, which follows the
same selection), and for a wait, **who unblocked it**. "Go to unblocker" reveals
the unblocker's span at that time (``selection.reveal``) and pushes where we were
on the panel's history; "Back" returns (the timeline's Ctrl+Z undoes its view
separately). Times and goroutines are links: clicking the Time column or a link
in the details reveals it in the timeline; selecting a row selects its span.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelectionModel, Qt, Slot
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from goroscope.ui.models import event_links
from goroscope.ui.models.event_table import (
    STATE_NAMES,
    EventDetail,
    GoroutineEvents,
    goroutine_events,
    resolve_event,
)
from goroscope.ui.models.table import (
    Column,
    NumpyTableModel,
    format_ns,
    format_time_ns,
    identity_rows,
)
from goroscope.ui.panels.goroutines_panel import make_table
from goroscope.ui.panels.panel_support import (
    failed_text,
    on_load_failed,
    scroll_to_current_when_shown,
)
from goroscope.ui.selection import GoroutineRef, SpanRef

if TYPE_CHECKING:
    from goroscope.ui.panels.docks import PanelContext

#: columns of the transition table
#: the new state, why and for how long first (in the ~360 px dock column From, mostly the
#: previous row's To, pushed the reason out of view)
COL_TIME, COL_TO, COL_REASON, COL_DURATION, COL_FROM, COL_PROC = range(6)


class GoroutineEventsPanel(QWidget):
    """Transitions of the selected goroutine (GUI thread only); ``GoroutineEventsPanel(ctx)``."""

    def __init__(self, ctx: PanelContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.events: GoroutineEvents | None = None
        self.detail: EventDetail | None = None
        self.history: list[SpanRef] = []
        self._rows_request = -1
        self._detail_request = -1
        self._pending_g = -1
        self._want_span = -1  # row to select once the rows arrive

        self.title = QLabel("Select a goroutine or a span.")
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.title.setMinimumWidth(60)
        self.title.linkActivated.connect(self._on_link)
        self.back_button = QPushButton("◀ Back")
        self.back_button.setToolTip("Back to where 'go to unblocker' came from")
        self.back_button.setEnabled(False)
        self.back_button.clicked.connect(self.go_back)
        self.unblocker_button = QPushButton("Go to unblocker")
        self.unblocker_button.setToolTip(
            "Show the goroutine (and its span) that made this one runnable"
        )
        self.unblocker_button.setEnabled(False)
        self.unblocker_button.clicked.connect(self.go_to_unblocker)
        self.model = NumpyTableModel(ctx.bridge, self)
        self.view = make_table()
        self.view.setModel(self.model)
        self.view.setSortingEnabled(False)  # the transitions are a history: keep time order
        self.view.setToolTip("Click a time: show it in the timeline")
        self.details = QLabel()
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.details.setWordWrap(True)
        self.details.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.details.setMinimumWidth(60)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.details.linkActivated.connect(self._on_link)
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.back_button)
        bar.addWidget(self.unblocker_button)
        bar.addStretch(1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.title)
        lay.addLayout(bar)
        lay.addWidget(self.view, 1)
        lay.addWidget(self.details)

        self.view.selectionModel().currentRowChanged.connect(self._on_row)
        self.view.clicked.connect(self._on_clicked)
        self.view.doubleClicked.connect(self._on_double_clicked)
        ctx.bridge.finished.connect(self._on_finished)
        ctx.bridge.failed.connect(self._on_failed)
        ctx.selection.changed.connect(self._on_selection_changed)
        ctx.window.path_opened.connect(self._on_path_opened)
        ctx.window.loaded.connect(self._on_loaded)
        on_load_failed(ctx.window, self._on_load_failed)

    # -- data ------------------------------------------------------------------------------
    def _session(self):
        s = getattr(self.ctx.window, "session", None)
        return s, getattr(s, "timeline", None), getattr(s, "details", None) if s else None

    @Slot(str)
    def _on_path_opened(self, _path: str) -> None:
        for key in ("event-rows", "event-detail"):
            self.ctx.bridge.cancel((key, id(self)))
        self._rows_request = self._detail_request = -1
        self.events = self.detail = None
        self.history.clear()
        self.back_button.setEnabled(False)
        self.unblocker_button.setEnabled(False)
        self.model.set_columns([])
        self.title.setText("Loading…")
        self.details.setText("")

    @Slot(str)
    def _on_load_failed(self, message: str) -> None:
        self._on_path_opened("")
        self.title.setText(failed_text(message))

    @Slot()
    def _on_loaded(self) -> None:
        self.title.setText("Select a goroutine or a span.")
        self._follow(self.ctx.selection.current)

    @Slot(object, object)
    def _on_selection_changed(self, _old, new) -> None:
        self._follow(new)

    def _follow(self, value) -> None:
        if isinstance(value, GoroutineRef):
            g, i = value.goroutine_idx, -1
        elif isinstance(value, SpanRef) and value.resource_kind == "goroutine":
            g, i = value.resource_idx, value.span_idx
        else:
            return
        self.show_goroutine(g, i)

    def show_goroutine(self, g_idx: int, span_idx: int = -1) -> None:
        """Show ``g_idx``'s transitions (a job unless already shown) and select ``span_idx``."""
        _s, tl, _d = self._session()
        if tl is None or not tl.complete or not 0 <= g_idx < tl.n_goroutines:
            return
        self._want_span = span_idx
        if self.events is not None and self.events.g_idx == g_idx and self._rows_request < 0:
            self._select_row(span_idx)
            return
        if self._pending_g == g_idx and self._rows_request >= 0:
            return
        self._pending_g = g_idx
        goid = int(tl.goroutines.goid[g_idx])
        self.title.setText(f"G{goid}: reading transitions…")
        self._rows_request = self.ctx.bridge.submit(
            ("event-rows", id(self)), goroutine_events, tl, g_idx, cancel=self.ctx.bridge.CANCEL
        )

    def _columns(self, ev: GoroutineEvents, tl) -> list[Column]:
        kinds = tl.kinds

        def reason(k) -> str:
            return kinds[int(k)][1] if int(k) < len(kinds) else ""

        status = ev.status

        def to_text(i) -> str:
            return STATE_NAMES.get(int(ev.to_state[i]), "?") + (" (status)" if status[i] else "")

        idx = identity_rows(len(ev))
        return [
            Column("Time", ev.time_ns, format_time_ns, link=True,
                   header_tip="ns since trace start; click: show in the timeline"),
            Column("To", idx, to_text, align_right=False, key=ev.to_state,
                   tooltip=lambda i: "a GoStatus at a generation boundary: no transition"
                   if status[i] else ""),
            Column("Reason", ev.kind, reason, align_right=False),
            Column("Lasted", ev.duration_ns, format_ns),
            Column("From", ev.from_state, lambda v: STATE_NAMES.get(int(v), "?"),
                   align_right=False),
            Column("Proc", ev.proc_id, lambda v: f"P{int(v)}" if v >= 0 else "—"),
        ]  # fmt: skip

    @Slot(int, object)
    def _on_finished(self, request_id: int, result) -> None:
        if request_id == self._rows_request:
            self._rows_request = -1
            self._pending_g = -1
            _s, tl, _d = self._session()
            if tl is None:
                return
            self.events = result
            self.detail = None
            self.model.set_columns(self._columns(result, tl))
            fm = self.view.fontMetrics()
            last = int(result.time_ns[-1]) if len(result) else 0
            self.view.horizontalHeader().resizeSection(
                COL_TIME, fm.horizontalAdvance(format_time_ns(last)) + 14
            )
            self.view.horizontalHeader().resizeSection(COL_TO, 80)
            self.view.horizontalHeader().resizeSection(COL_REASON, 110)
            self.view.horizontalHeader().resizeSection(COL_FROM, 70)
            self._set_title(tl)
            self._select_row(self._want_span)
        elif request_id == self._detail_request:
            self._detail_request = -1
            self.detail = result
            self._show_detail()

    @Slot(int, object)
    def _on_failed(self, request_id: int, exc) -> None:
        if request_id == self._rows_request:
            self._rows_request = -1
            self._pending_g = -1
            self.title.setText(f"Transitions unavailable: {exc}")
        elif request_id == self._detail_request:
            self._detail_request = -1
            self.details.setText(f"Details unavailable: {html.escape(str(exc))}")

    def _set_title(self, tl) -> None:
        ev = self.events
        sf = int(tl.goroutines.start_func[ev.g_idx])
        fn = tl.strings[sf] if sf >= 0 else "(unknown start function)"
        self.title.setText(
            event_links.g_link(ev.g_idx, f"G{ev.goid}")
            + f" {html.escape(fn)} — {len(ev):,} transitions"
        )

    def _select_row(self, span_idx: int) -> None:
        if self.events is None:
            return
        if span_idx < 0:
            self.view.scrollToTop()
            return
        v = self.model.view_row(span_idx)
        if v < 0:
            return
        idx = self.model.index(v, 0)
        sm = self.view.selectionModel()
        if sm.currentIndex().row() != v:
            sm.setCurrentIndex(
                idx,
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )
        self.view.scrollTo(idx)

    @Slot(bool)
    def on_dock_visible(self, visible: bool) -> None:
        """Its dock tab was raised (``docks.install_panels``): the selected row in view."""
        if visible:
            scroll_to_current_when_shown(self.view)

    # -- the current row -------------------------------------------------------------------
    def current_span(self) -> int:
        idx = self.view.currentIndex()
        return self.model.source_row(idx.row()) if idx.isValid() else -1

    @Slot(object, object)
    def _on_row(self, current, _previous) -> None:
        if not current.isValid() or self.events is None:
            return
        i = self.model.source_row(current.row())
        g = self.events.g_idx
        self.ctx.selection.set(SpanRef.goroutine(g, i))
        _s, tl, details = self._session()
        self.unblocker_button.setEnabled(False)
        if details is None:
            self.details.setText("Details are available once the trace is loaded.")
            return
        self.details.setText("Resolving…")
        self._detail_request = self.ctx.bridge.submit(
            ("event-detail", id(self)), resolve_event, details, tl, g, i,
            cancel=self.ctx.bridge.CANCEL,
        )  # fmt: skip

    def _show_detail(self) -> None:
        d = self.detail
        _s, tl, _det = self._session()
        if d is None or tl is None or self.events is None:
            return
        goid = tl.goroutines.goid
        row_t = int(self.events.time_ns[d.span_idx])
        parts = [
            f"<b>{html.escape(d.event)}</b> at "
            + event_links.span_link(d.g_idx, d.span_idx, format_time_ns(row_t))
            + (f" on P{d.proc_id}" if d.proc_id >= 0 else "")
            + (f", M{d.thread_id}" if d.thread_id >= 0 else "")
        ]
        if 0 <= d.by_g != d.g_idx:
            parts.append("by " + event_links.g_link(d.by_g, f"G{int(goid[d.by_g])}"))
        if d.stack:
            top = d.stack[:3]
            frames = "<br>".join(
                f"&nbsp;&nbsp;{html.escape(f[1])} <span style='color:gray'>"
                f"{html.escape(f[2].rsplit('/', 1)[-1])}:{f[3]}</span>"
                for f in top
            )
            more = f" … {len(d.stack) - 3} more (Stacks panel)" if len(d.stack) > 3 else ""
            parts.append(f"<br>stack:<br>{frames}{more}")
        if d.unblock_span >= 0:
            when = event_links.span_link(d.g_idx, d.unblock_span, format_time_ns(d.unblock_ns))
            if d.unblocker_g >= 0:
                who = event_links.g_link(d.unblocker_g, f"G{int(goid[d.unblocker_g])}")
                parts.append(f"<br>unblocked by {who} at {when}")
            else:
                parts.append(
                    f"<br>unblocked at {when} by no goroutine (runtime: netpoll, timer, …)"
                )
        self.details.setText(" ".join(parts))
        self.unblocker_button.setEnabled(d.unblocker_g >= 0 and d.unblocker_span >= 0)

    # -- navigation -------------------------------------------------------------------------
    def unblocker_target(self) -> SpanRef | None:
        d = self.detail
        if d is None or d.unblocker_g < 0 or d.unblocker_span < 0:
            return None
        return SpanRef.goroutine(d.unblocker_g, d.unblocker_span)

    @Slot()
    def go_to_unblocker(self) -> None:
        """Reveal the unblocker's span at the unblock time; remember where we were."""
        target = self.unblocker_target()
        if target is None or self.events is None:
            return
        self.history.append(SpanRef.goroutine(self.events.g_idx, self.detail.span_idx))
        self.back_button.setEnabled(True)
        self.ctx.selection.reveal(target)

    @Slot()
    def go_back(self) -> None:
        """Reveal the span we came from (the last 'go to unblocker')."""
        if not self.history:
            return
        ref = self.history.pop()
        self.back_button.setEnabled(bool(self.history))
        self.ctx.selection.reveal(ref)

    @Slot(object)
    def _on_clicked(self, index) -> None:
        if self.events is not None and self.model.is_link(index.column()):
            i = self.model.source_row(index.row())
            self.ctx.selection.reveal(SpanRef.goroutine(self.events.g_idx, i))

    @Slot(object)
    def _on_double_clicked(self, index) -> None:
        self._on_clicked(self.model.index(index.row(), COL_TIME))

    @Slot(str)
    def _on_link(self, href: str) -> None:
        event_links.follow(self.ctx.selection, href)
