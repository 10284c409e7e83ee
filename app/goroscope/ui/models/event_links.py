"""Links in panel text: goroutines, spans and times as ``<a href>`` (GUI thread for ``follow``).

Everything a panel shows that names a goroutine or a time is a link into the
timeline (issue #9). Links are rich-text anchors with a tiny URL scheme:

* ``g:<g_idx>`` → :class:`GoroutineRef`;
* ``span:<g_idx>:<span_idx>`` → a goroutine span (:meth:`SpanRef.goroutine`);
* ``t:<t0_ns>:<t1_ns>`` → :class:`TimeRange`.

:func:`follow` turns one into ``selection.reveal(...)``.
"""

from __future__ import annotations

import html

from goroscope.ui.selection import GoroutineRef, SelectionModel, SpanRef, TimeRange


def g_link(g_idx: int, text: str) -> str:
    return f'<a href="g:{int(g_idx)}">{html.escape(text)}</a>'


def span_link(g_idx: int, span_idx: int, text: str) -> str:
    return f'<a href="span:{int(g_idx)}:{int(span_idx)}">{html.escape(text)}</a>'


def time_link(t0_ns: int, t1_ns: int, text: str) -> str:
    return f'<a href="t:{int(t0_ns)}:{int(t1_ns)}">{html.escape(text)}</a>'


def parse(href: str):
    """The selection value of a link (None if not ours)."""
    parts = href.split(":")
    try:
        if parts[0] == "g" and len(parts) == 2:
            return GoroutineRef(int(parts[1]))
        if parts[0] == "span" and len(parts) == 3:
            return SpanRef.goroutine(int(parts[1]), int(parts[2]))
        if parts[0] == "t" and len(parts) == 3:
            return TimeRange(int(parts[1]), max(int(parts[1]), int(parts[2])))
    except ValueError:
        return None
    return None


def follow(selection: SelectionModel, href: str) -> bool:
    """Reveal the link's target; True if it was one of ours."""
    value = parse(href)
    if value is None:
        return False
    selection.reveal(value)
    return True
