"""Stacks panel: the stacks of the selected span or goroutine (GUI thread).

Follows ``selection.changed``:

* a goroutine span (``SpanRef("goroutine", g, i)``) → the event that **began** it
  (Go's event stack, e.g. where a goroutine blocked, or the unblocker's stack for
  a GoUnblock, plus the transition stack when it differs), the event that
  **ended** it (the next span's), and the goroutine's **creation** (the creator's
  ``go`` statement and the start function);
* a proc or thread span (a goroutine running on a P, or in a syscall on an M) → the
  same for the goroutine span running there at that time;
* a goroutine (``GoroutineRef``) → its creation stack and start function.

Stacks are re-decoded on demand by the session's
:class:`~goroscope.model.spans.DetailResolver` — seconds for the first span of a
big generation — so they are resolved in a job through ``ctx.bridge``; only the
newest request is shown. Frames show the function and ``file:line``; runs of
runtime-internal frames (``runtime.*``, ``internal/*``) are folded (expand one, or
tick "runtime frames" to expand all). "Copy" puts every frame on the clipboard,
Go traceback style. The header names the goroutine and the span's times as links
(``selection.reveal``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from goroscope.ui.models import event_links
from goroscope.ui.models.stack_model import (
    StackModel,
    resolve_goroutine_stacks,
    resolve_occupancy_stacks,
    resolve_span_stacks,
    stacks_as_text,
)
from goroscope.ui.models.table import format_ns, format_time_ns
from goroscope.ui.panels.panel_support import failed_text, on_load_failed
from goroscope.ui.selection import GoroutineRef, SpanRef

if TYPE_CHECKING:
    from goroscope.ui.panels.docks import PanelContext


class StacksPanel(QWidget):
    """Stacks of the selection (GUI thread only). Constructed as ``StacksPanel(ctx)``."""

    def __init__(self, ctx: PanelContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._request = -1
        self._shown = None  # the selection value the model shows
        self._pending = None
        self.header = QLabel("Select a goroutine or a span.")
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.header.setWordWrap(True)
        # long function names must not widen the dock (and with it the window)
        self.header.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.header.setMinimumWidth(60)
        self.header.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.header.linkActivated.connect(self._on_link)
        self.show_runtime = QCheckBox("runtime frames")
        self.show_runtime.setToolTip("Expand the folded runtime.* / internal/* frames")
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Copy every stack as text (Go traceback style)")
        self.copy_button.clicked.connect(self.copy_to_clipboard)
        self.model = StackModel(self)
        self.view = QTreeView()
        self.view.setModel(self.model)
        self.view.setUniformRowHeights(True)
        self.view.setAlternatingRowColors(True)
        self.view.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        # the function takes what file:line leaves (file:line was elided at a fixed 230 px
        # function column in the ~360 px dock column); a stack is tens of rows, so
        # sizing file:line to its contents is cheap
        hh = self.view.header()
        hh.setStretchLastSection(False)
        hh.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        hh.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.show_runtime)
        bar.addStretch(1)
        bar.addWidget(self.copy_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.header)
        lay.addLayout(bar)
        lay.addWidget(self.view, 1)
        self.show_runtime.toggled.connect(self._apply_folds)

        ctx.bridge.finished.connect(self._on_finished)
        ctx.bridge.failed.connect(self._on_failed)
        ctx.selection.changed.connect(self._on_selection_changed)
        ctx.window.path_opened.connect(self._on_path_opened)
        ctx.window.loaded.connect(self._on_loaded)
        on_load_failed(ctx.window, self._on_load_failed)

    # -- following the selection -------------------------------------------------------
    @Slot(str)
    def _on_path_opened(self, _path: str) -> None:
        self._cancel()
        self._shown = None
        self.model.set_sections([])
        self.header.setText("Loading…")

    @Slot(str)
    def _on_load_failed(self, message: str) -> None:
        self._on_path_opened("")
        self.header.setText(failed_text(message))

    @Slot()
    def _on_loaded(self) -> None:
        self.header.setText("Select a goroutine or a span.")
        self.show_selection(self.ctx.selection.current)

    @Slot(object, object)
    def _on_selection_changed(self, _old, new) -> None:
        self.show_selection(new)

    def _cancel(self) -> None:
        if self._request >= 0:
            self.ctx.bridge.cancel(("stacks", id(self)))
            self._request = -1

    def show_selection(self, value) -> None:
        """Resolve and show the stacks of ``value`` (a job; GUI-thread cost ~0)."""
        session = getattr(self.ctx.window, "session", None)
        details = getattr(session, "details", None) if session is not None else None
        tl = getattr(session, "timeline", None)
        if value == self._shown and self._request < 0:
            return
        if isinstance(value, SpanRef) and value.resource_kind in ("proc", "thread"):
            self._show_occupancy(value, details, tl)
            return
        if isinstance(value, SpanRef) and value.resource_kind == "goroutine":
            job, args = resolve_span_stacks, (value.resource_idx, value.span_idx)
        elif isinstance(value, GoroutineRef):
            job, args = resolve_goroutine_stacks, (value.goroutine_idx,)
        else:
            if value is not None and not isinstance(value, SpanRef):
                return  # a time range or a task: keep what is shown
            self._cancel()
            self._shown = None
            self.model.set_sections([])
            self.header.setText(
                "Select a goroutine span for its stacks."
                if value is not None
                else "Select a goroutine or a span."
            )
            return
        if details is None or tl is None:
            self.header.setText("Stacks are available once the trace is loaded.")
            return
        g = args[0]
        if not 0 <= g < tl.n_goroutines:
            return
        if len(args) == 2 and args[1] < 0:
            return
        self._cancel()
        self._pending = value
        self.header.setText(self._header_html(tl, value) + " — resolving stacks…")
        self._request = self.ctx.bridge.submit(
            ("stacks", id(self)), stacks_job, job, details, tl, *args,
            cancel=self.ctx.bridge.CANCEL,
        )  # fmt: skip

    def _occupancy_start(self, value: SpanRef) -> int | None:
        """Start time of a proc/thread span as the timeline drew it (its row's arrays)."""
        try:
            tp = self.ctx.window.view.timeline
            row = tp.row_of(value)
            if row is None:
                return None
            start = tp.track.spans(row)[0]
        except (AttributeError, IndexError, TypeError):
            return None
        if not 0 <= value.span_idx < len(start):
            return None
        return int(start[value.span_idx])

    def _show_occupancy(self, value: SpanRef, details, tl) -> None:
        """A proc/thread span: the stacks of the goroutine span running there (a job)."""
        if details is None or tl is None:
            self.header.setText("Stacks are available once the trace is loaded.")
            return
        t = self._occupancy_start(value)
        if t is None:
            self.header.setText("Select a goroutine span for its stacks.")
            return
        self._cancel()
        self._pending = value
        self.header.setText("Resolving the goroutine running there…")
        self._request = self.ctx.bridge.submit(
            ("stacks", id(self)), stacks_job, resolve_occupancy_stacks, details, tl,
            value.resource_kind, value.resource_idx, t, cancel=self.ctx.bridge.CANCEL,
        )  # fmt: skip

    def _header_html(self, tl, value, span=None) -> str:
        """The header of ``value``; a span's state and times from ``span`` (``stacks_job``'s
        ``(n_spans, kind, start, end)``, made in the job: the row of a goroutine with
        millions of spans is never built on the GUI thread)."""
        if isinstance(value, GoroutineRef):
            g = value.goroutine_idx
        else:
            g = value.resource_idx
        goid = int(tl.goroutines.goid[g])
        sf = int(tl.goroutines.start_func[g])
        fn = tl.strings[sf] if sf >= 0 else "(unknown start function)"
        out = event_links.g_link(g, f"G{goid}") + " " + fn.replace("<", "&lt;")
        if isinstance(value, SpanRef) and span is None:
            out += f"<br>span {value.span_idx + 1}"
        elif isinstance(value, SpanRef):
            n, kind, a, b = span
            i = value.span_idx
            out += (
                f"<br>span {i + 1} of {n}: <b>{tl.kind_name(kind)}</b>, "
                + event_links.time_link(a, b, format_ns(b - a))
                + " from "
                + event_links.time_link(a, a, format_time_ns(a))
            )
        return out

    @Slot(int, object)
    def _on_finished(self, request_id: int, result) -> None:
        if request_id != self._request:
            return
        self._request = -1
        if result is None:  # the span index is not in the goroutine's row
            self.header.setText("Select a goroutine span for its stacks.")
            return
        self._shown = self._pending
        session = getattr(self.ctx.window, "session", None)
        tl = getattr(session, "timeline", None)
        shown = self._shown
        sections, span, info = result
        if isinstance(shown, SpanRef) and shown.resource_kind in ("proc", "thread"):
            shown = SpanRef.goroutine(*span) if span is not None else None
        self.model.set_sections(sections)
        if tl is not None and shown is not None:
            self.header.setText(self._header_html(tl, shown, info))
        elif shown is None:
            self.header.setText("No goroutine runs there.")
        for i in range(self.model.rowCount()):
            idx = self.model.section_index(i)
            self.view.setFirstColumnSpanned(i, idx.parent(), True)  # titles span both columns
            self.view.expand(idx)
        self._apply_folds(self.show_runtime.isChecked())

    @Slot(int, object)
    def _on_failed(self, request_id: int, exc) -> None:
        if request_id == self._request:
            self._request = -1
            self.header.setText(f"Stacks unavailable: {exc}")

    @Slot(bool)
    def _apply_folds(self, expand: bool = False) -> None:
        for idx in self.model.fold_indexes():
            self.view.setExpanded(idx, bool(expand))

    @Slot(str)
    def _on_link(self, href: str) -> None:
        event_links.follow(self.ctx.selection, href)

    # -- copy ----------------------------------------------------------------------------
    def as_text(self) -> str:
        """Every stack shown, as text (Go traceback style), with a plain-text header."""
        from PySide6.QtGui import QTextDocument

        doc = QTextDocument()
        doc.setHtml(self.header.text())
        return stacks_as_text(doc.toPlainText().replace("\u2029", "\n"), self.model.sections)

    @Slot()
    def copy_to_clipboard(self) -> None:
        QGuiApplication.clipboard().setText(self.as_text())


def stacks_job(job, details, tl, *args, cancel=None):
    """``(sections, span, info)`` — a stacks job (``resolve_*_stacks``) plus, for the span
    it is about (``(g_idx, span_idx)``; a proc/thread span's goroutine span), the header's
    ``(n_spans, kind, start, end)`` (job thread); None when the span index is out of the
    goroutine's row."""
    span = None
    if job is resolve_span_stacks:
        span = (args[0], args[1])
        if not 0 <= span[1] < len(tl.goroutine_row(span[0])):
            return None
    out = job(details, tl, *args, cancel=cancel)
    if isinstance(out, tuple):  # a proc/thread span: (g_idx, span_idx, sections)
        g, i, out = out
        span = (g, i) if g >= 0 and i >= 0 else None
    info = None
    if span is not None:
        row = tl.goroutine_row(span[0])
        i = span[1]
        info = (len(row), int(row.kind[i]), int(row.start_ns[i]), int(row.end_ns[i]))
    return out, span, info
