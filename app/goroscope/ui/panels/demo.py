"""Synthetic goroutine timelines for the demo, screenshots and GUI tests (no trace needed).

``DemoSource(n_rows, seed)`` implements ``TimelineSource`` (``panels.timeline``)
with realistic-looking state sequences: each goroutine has a *kind* (worker,
HTTP handler, ticker, producer, WaitGroup waiter, GC worker, DB opener) that
fixes its start function and which blocking states it visits; spans follow
running → block → runnable → running with log-normal durations, a created span
first and an exited span last for goroutines that end. A few "hot" rows hold
tens of thousands of short spans to exercise the level of detail. State codes
are :class:`goroscope.ui.theme.StateFamily` values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from goroscope.ui.theme import FAMILY_NAMES, StateFamily

F = StateFamily

# kind: (start function, [(blocking family, weight)], median running ns, median block ns)
_KINDS = [
    ("main.worker", [(F.BLOCKED_CHAN_RECV, 6), (F.GC_ASSIST, 1), (F.SYSCALL, 1)], 40_000, 400_000),
    (
        "net/http.(*conn).serve",
        [(F.BLOCKED_NET, 6), (F.SYSCALL, 3), (F.BLOCKED_SYNC, 1)],
        80_000,
        2_000_000,
    ),
    ("main.ticker", [(F.SLEEP, 1)], 15_000, 10_000_000),
    ("main.producer", [(F.BLOCKED_CHAN_SEND, 4), (F.BLOCKED_SELECT, 3)], 120_000, 600_000),
    ("sync.(*WaitGroup).Wait", [(F.BLOCKED_SYNC, 5), (F.WAITING_OTHER, 1)], 20_000, 30_000_000),
    ("runtime.gcBgMarkWorker", [(F.WAITING_OTHER, 3), (F.SWEEP, 1)], 3_000_000, 50_000_000),
    ("database/sql.(*DB).connectionOpener", [(F.BLOCKED_SELECT, 1)], 30_000, 100_000_000),
]


@dataclass(frozen=True, slots=True)
class DemoRow:
    label: str
    kind: str = "goroutine"
    resource_idx: int = -1


class DemoSource:
    """A synthetic ``TimelineSource``: ``n_rows`` goroutines over ``duration_ns``."""

    def __init__(
        self,
        n_rows: int = 300,
        seed: int = 1,
        duration_ns: int = 2_000_000_000,
        hot_rows: int = 3,
        hot_spans: int = 50_000,
    ) -> None:
        self._duration = int(duration_ns)
        rng = np.random.default_rng(seed)
        self._rows: list[DemoRow] = []
        self._spans: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        for i in range(n_rows):
            kind = int(rng.integers(len(_KINDS))) if i >= hot_rows else 0
            fn, blocks, run_med, block_med = _KINDS[kind]
            if i < hot_rows:  # dense rows: tens of thousands of tiny spans
                run_med, block_med = duration_ns // (hot_spans * 2), duration_ns // (hot_spans * 3)
            spans = self._make_row(rng, blocks, run_med, block_med, long_lived=i < hot_rows)
            self._spans.append(spans)
            goid = i + 1
            self._rows.append(DemoRow(f"G{goid} {fn}", "goroutine", i))

    def _make_row(self, rng, blocks, run_med, block_med, long_lived):
        dur = self._duration
        birth = 0 if long_lived or rng.random() < 0.3 else int(rng.integers(0, dur * 3 // 4))
        death = dur if long_lived or rng.random() < 0.5 else int(rng.integers(birth + 1, dur + 1))
        fams = np.array([b[0] for b in blocks], np.int64)
        weights = np.array([b[1] for b in blocks], float)
        budget = death - birth
        est = max(8, int(budget / (run_med + block_med + run_med // 4) * 1.6) + 8)
        k = est
        run = rng.lognormal(np.log(run_med), 0.9, k)
        blk_state = rng.choice(fams, size=k, p=weights / weights.sum())
        blk = rng.lognormal(np.log(block_med), 1.1, k)
        preempt = rng.random(k) < 0.25  # running → runnable without blocking
        wait = rng.lognormal(np.log(max(run_med // 5, 200)), 0.8, k)  # runnable latency
        states = np.empty(3 * k, np.int64)
        durs = np.empty(3 * k, float)
        states[0::3], durs[0::3] = F.RUNNING, run
        states[1::3], durs[1::3] = blk_state, blk
        states[2::3], durs[2::3] = F.RUNNABLE, wait
        keep = np.ones(3 * k, bool)
        keep[1::3] = ~preempt
        states, durs = states[keep], np.maximum(durs[keep].astype(np.int64), 1)
        states = np.concatenate([[F.CREATED], states])
        durs = np.concatenate([[int(rng.integers(2_000, 30_000))], durs])
        ends = birth + np.cumsum(durs)
        n = int(np.searchsorted(ends, death, "left")) + 1
        states, ends = states[:n], np.minimum(ends[:n], death)
        starts = np.concatenate([[birth], ends[:-1]])
        if death < dur:  # exited: a short black span after the last state
            starts = np.append(starts, death)
            ends = np.append(ends, min(death + 5_000, dur))
            states = np.append(states, F.EXITED)
        ok = ends >= starts
        return starts[ok].astype(np.int64), ends[ok].astype(np.int64), states[ok].astype(np.uint8)

    # -- TimelineSource -------------------------------------------------------------
    def duration_ns(self) -> int:
        return self._duration

    def rows(self) -> list[DemoRow]:
        return self._rows

    def spans(self, row: int):
        return self._spans[row]

    def state_families(self) -> list[StateFamily]:
        return list(StateFamily)

    def span_label(self, row: int, span_idx: int) -> tuple[str, ...]:
        """Label candidates, longest first ("blocked: chan recv", "chan recv")."""
        name = FAMILY_NAMES[StateFamily(int(self._spans[row][2][span_idx]))]
        short = name.split(": ")[-1]
        return (name, short) if short != name else (name,)
