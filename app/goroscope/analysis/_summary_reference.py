"""Reference goroutine analysis: a literal port of Go's ``internal/trace/summary.go`` (L2, slow, exact).

What
----
:class:`Summarizer` is Go's ``Summarizer``: fed the events of a trace in order
(here :class:`~goroscope.model.EventTable` chunks, one Python step per row, like
``Summarizer.Event``), it keeps per goroutine the non-overlapping time by
category (execution, sched wait, syscall, syscall block, block by reason), the
time inside ranges (GC mark assist, sweep, ...), the user regions with their
own execution stats, and per task its begin/end, logs, regions and goroutines.
:meth:`Summarizer.finalize` is Go's ``Finalize``.

Why a literal port
------------------
It is the definition the fast path (:mod:`goroscope.analysis._kernels`) is
checked against, so it follows ``summary.go`` line by line, with Go's names
and Go's quirks: a goroutine finalized at exit has its transient state zeroed
(not dropped) and is finalized a second time by ``Finalize``; a goroutine
created inside a region inherits a synthetic region with an empty name (its
``start_ns`` is the creation); "forever" waits are deaths; P-scoped ranges are
charged to the goroutine that began them only if it also ends them.

What we deliberately don't do
-----------------------------
Go panics on a few impossible inputs (a region on a goroutine never seen, a
range on a goroutine after it exited); we skip those events instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from goroscope.model.events import NO_TASK, EventKind, EventTable, GoState, ResourceKind

_K_SYNC = int(EventKind.Sync)
_K_ST = int(EventKind.StateTransition)
_K_RB = int(EventKind.RangeBegin)
_K_RA = int(EventKind.RangeActive)
_K_RE = int(EventKind.RangeEnd)
_K_REGB = int(EventKind.RegionBegin)
_K_REGE = int(EventKind.RegionEnd)
_K_TB = int(EventKind.TaskBegin)
_K_TE = int(EventKind.TaskEnd)
_K_LOG = int(EventKind.Log)
_RK_G = int(ResourceKind.Goroutine)
_RK_P = int(ResourceKind.Proc)
_G_UND = int(GoState.Undetermined)
_G_NOT = int(GoState.NotExist)
_G_RUNNABLE = int(GoState.Runnable)
_G_RUNNING = int(GoState.Running)
_G_WAITING = int(GoState.Waiting)
_G_SYSCALL = int(GoState.Syscall)
_P_IDLE = 3  # ProcState.Idle


def _add(d: dict, k, v: int) -> None:
    d[k] = d.get(k, 0) + v


@dataclass(slots=True)
class ExecStats:
    """Go's ``GoroutineExecStats`` (all durations in ns)."""

    exec_ns: int = 0
    sched_wait_ns: int = 0
    block_ns: dict[str, int] = field(default_factory=dict)  # BlockTimeByReason
    syscall_ns: int = 0
    syscall_block_ns: int = 0
    total_ns: int = 0
    range_ns: dict[str, int] = field(default_factory=dict)  # RangeTime

    def clone(self) -> ExecStats:
        return ExecStats(
            self.exec_ns,
            self.sched_wait_ns,
            dict(self.block_ns),
            self.syscall_ns,
            self.syscall_block_ns,
            self.total_ns,
            dict(self.range_ns),
        )

    def sub(self, v: ExecStats) -> ExecStats:
        r = self.clone()
        r.exec_ns -= v.exec_ns
        r.sched_wait_ns -= v.sched_wait_ns
        for reason in self.block_ns:
            r.block_ns[reason] -= v.block_ns.get(reason, 0)
        r.syscall_ns -= v.syscall_ns
        r.syscall_block_ns -= v.syscall_block_ns
        r.total_ns -= v.total_ns
        for name in self.range_ns:
            r.range_ns[name] -= v.range_ns.get(name, 0)
        return r

    def unknown_ns(self) -> int:
        s = self.exec_ns + self.sched_wait_ns + self.syscall_ns + self.syscall_block_ns
        s += sum(self.block_ns.values())
        return self.total_ns - s if s < self.total_ns else 0

    def non_overlapping(self) -> dict[str, int]:
        """Go's ``NonOverlappingStats``: category name → ns."""
        out = {
            "Execution time": self.exec_ns,
            "Sched wait time": self.sched_wait_ns,
            "Syscall execution time": self.syscall_ns,
            "Block time (syscall)": self.syscall_block_ns,
            "Unknown time": self.unknown_ns(),
        }
        for reason, dt in self.block_ns.items():
            _add(out, "Block time (" + reason + ")", dt)
        return out


@dataclass(slots=True)
class RegionSummary:
    """Go's ``UserRegionSummary``; ``start_ns``/``end_ns`` are None where Go's event is nil."""

    task_id: int
    name: str
    start_ns: int | None
    end_ns: int | None = None
    stats: ExecStats = field(default_factory=ExecStats)


@dataclass(slots=True)
class GoroutineSummary:
    """Go's ``GoroutineSummary`` plus its private ``goroutineSummary`` state."""

    goid: int
    name: str = ""
    pc: int = 0
    creation_ns: int = 0
    start_ns: int = 0
    end_ns: int = 0
    regions: list[RegionSummary] = field(default_factory=list)
    stats: ExecStats = field(default_factory=ExecStats)
    # goroutineSummary (pending state); ``live`` False once Finalize has run.
    live: bool = True
    last_start: int = 0
    last_runnable: int = 0
    last_block: int = 0
    last_block_reason: str = ""
    last_syscall: int = 0
    last_syscall_block: int = 0
    last_range: dict[str, int] | None = field(default_factory=dict)
    active_regions: list[RegionSummary] = field(default_factory=list)

    def snapshot(self, last_ts: int) -> ExecStats:
        ret = self.stats.clone()
        if not self.live:
            return ret
        if self.stats.total_ns == 0:
            ret.total_ns = last_ts - self.creation_ns
        if self.last_start != 0:
            ret.exec_ns += last_ts - self.last_start
        if self.last_runnable != 0:
            ret.sched_wait_ns += last_ts - self.last_runnable
        if self.last_block != 0:
            _add(ret.block_ns, self.last_block_reason, last_ts - self.last_block)
        if self.last_syscall != 0:
            ret.syscall_ns += last_ts - self.last_syscall
        if self.last_syscall_block != 0:
            ret.sched_wait_ns += last_ts - self.last_syscall_block
        if self.last_range:
            for name, ts in self.last_range.items():
                _add(ret.range_ns, name, last_ts - ts)
        return ret

    def finalize(self, last_ts: int, trigger_ns: int | None) -> None:
        if trigger_ns is not None:
            self.end_ns = trigger_ns
        final = self.snapshot(last_ts)
        self.stats = final
        if not is_system_goroutine(self.name):
            for s in self.active_regions:
                s.end_ns = trigger_ns
                s.stats = final.sub(s.stats)
                self.regions.append(s)
        # *(g.goroutineSummary) = goroutineSummary{}: zeroed, not dropped.
        self.last_start = self.last_runnable = self.last_block = 0
        self.last_block_reason = ""
        self.last_syscall = self.last_syscall_block = 0
        self.last_range = None
        self.active_regions = []


@dataclass(slots=True)
class LogRecord:
    """One ``EventLog`` of a task."""

    time_ns: int
    goid: int
    category: str
    message: str


@dataclass(slots=True)
class TaskSummary:
    """Go's ``UserTaskSummary`` (``parent``/``children`` as task IDs)."""

    task_id: int
    name: str = ""
    parent: int | None = None
    children: list[int] = field(default_factory=list)
    start_ns: int | None = None
    end_ns: int | None = None
    logs: list[LogRecord] = field(default_factory=list)
    regions: list[RegionSummary] = field(default_factory=list)
    goroutines: set[int] = field(default_factory=set)

    @property
    def complete(self) -> bool:
        return self.start_ns is not None and self.end_ns is not None


def is_system_goroutine(entry_fn: str) -> bool:
    """Go's ``IsSystemGoroutine``."""
    return entry_fn == "" or (entry_fn != "runtime.main" and entry_fn.startswith("runtime."))


class Summarizer:
    """Go's ``Summarizer``: call :meth:`add` with each chunk in order, then :meth:`finalize`."""

    def __init__(self) -> None:
        self.gs: dict[int, GoroutineSummary] = {}
        self.tasks: dict[int, TaskSummary] = {}
        self.syscalling_p: dict[int, int] = {}
        self.syscalling_g: dict[int, int] = {}
        self.ranges_p: dict[tuple[int, str], int] = {}
        self.last_ts = 0
        self.sync_ts = 0
        self._root_cache: dict[tuple[int, int], tuple[int, str] | None] = {}

    def _root(self, ev: EventTable, gen_idx: int, stack_id: int) -> tuple[int, str] | None:
        key = (gen_idx, stack_id)
        r = self._root_cache.get(key, False)
        if r is False:
            r = None
            if stack_id != 0 and gen_idx >= 0:
                frames = ev.generations[gen_idx].frames(stack_id)
                if frames:
                    r = (frames[-1][0], frames[-1][1])
            self._root_cache[key] = r
        return r

    def _task(self, task_id: int) -> TaskSummary:
        t = self.tasks.get(task_id)
        if t is None:
            t = self.tasks[task_id] = TaskSummary(task_id)
        return t

    def add(self, ev: EventTable) -> None:  # noqa: C901 - one branch per kind, like Go's
        """Feed one chunk (Go's ``Summarizer.Event`` per row). Job thread."""
        strings = ev.strings
        cols = zip(
            ev.kind.tolist(),
            ev.time_ns.tolist(),
            ev.goroutine.tolist(),
            ev.proc.tolist(),
            ev.resource_kind.tolist(),
            ev.resource_id.tolist(),
            ev.state_from.tolist(),
            ev.state_to.tolist(),
            ev.reason.tolist(),
            ev.transition_stack_id.tolist(),
            ev.gen_idx.tolist(),
            ev.name.tolist(),
            ev.message.tolist(),
            ev.task_id.tolist(),
            ev.parent_task_id.tolist(),
            strict=True,
        )
        gs = self.gs
        for (
            kind,
            t,
            cur_g,
            cur_p,
            rk,
            rid,
            old,
            new,
            reason,
            tstack,
            gi,
            name,
            msg,
            tid,
            ptid,
        ) in cols:
            if self.sync_ts == 0:
                self.sync_ts = t
            self.last_ts = t
            if kind == _K_SYNC:
                self.sync_ts = t
            elif kind == _K_ST:
                if rk == _RK_G:
                    if old == new:
                        continue
                    self._go_transition(
                        ev, t, cur_p, cur_g, rid, old, new, strings[reason], tstack, gi
                    )
                elif rk == _RK_P and old != new and new == _P_IDLE and rid in self.syscalling_p:
                    goid = self.syscalling_p.pop(rid)
                    gs[goid].last_syscall_block = t
            elif kind in (_K_RB, _K_RA):
                rname = strings[name]
                g = None
                if rk == _RK_G:
                    g = gs.get(rid)
                elif rk == _RK_P:
                    g = gs.get(cur_g)
                    if g is not None:
                        self.ranges_p[(rid, rname)] = cur_g
                if g is None:
                    continue
                if g.last_range is None:  # NOTE: Go would panic (nil map); see module doc
                    g.last_range = {}
                if kind == _K_RA:
                    ts = g.last_range.get(rname, 0)
                    if ts != 0:
                        _add(g.stats.range_ns, rname, self.sync_ts - ts)
                    g.last_range[rname] = self.sync_ts
                else:
                    g.last_range[rname] = t
            elif kind == _K_RE:
                rname = strings[name]
                g = None
                if rk == _RK_G:
                    g = gs.get(rid)
                elif rk == _RK_P:
                    goid = self.ranges_p.pop((rid, rname), None)
                    if goid is not None and goid == cur_g:
                        g = gs.get(goid)
                if g is None:
                    continue
                ts = g.last_range.get(rname, 0) if g.last_range is not None else 0
                if ts == 0:
                    continue
                _add(g.stats.range_ns, rname, t - ts)
                del g.last_range[rname]
            elif kind == _K_REGB:
                g = gs.get(cur_g)
                if g is None:
                    continue
                region = RegionSummary(tid, strings[name], t, None, g.snapshot(t))
                g.active_regions.append(region)
                task = self._task(tid)
                task.regions.append(region)
                task.goroutines.add(g.goid)
            elif kind == _K_REGE:
                g = gs.get(cur_g)
                if g is None:
                    continue
                if g.active_regions:
                    sd = g.active_regions.pop()
                else:
                    sd = RegionSummary(tid, strings[name], None)
                    task = self._task(tid)
                    task.goroutines.add(g.goid)
                    task.regions.append(sd)
                sd.stats = g.snapshot(t).sub(sd.stats)
                sd.end_ns = t
                g.regions.append(sd)
            elif kind in (_K_TB, _K_TE):
                task = self._task(tid)
                task.name = strings[name]
                task.goroutines.add(cur_g)
                if kind == _K_TB:
                    task.start_ns = t
                else:
                    task.end_ns = t
                if ptid != NO_TASK and task.parent is None:
                    parent = self._task(ptid)
                    task.parent = ptid
                    parent.children.append(tid)
            elif kind == _K_LOG:
                task = self._task(tid)
                task.goroutines.add(cur_g)
                task.logs.append(LogRecord(t, cur_g, strings[name], strings[msg]))

    def _go_transition(  # noqa: C901 - Go's two switches
        self, ev, t, cur_p, cur_g, goid, old, new, reason, tstack, gi
    ) -> None:
        g = self.gs.get(goid)
        if old == _G_UND:
            g = GoroutineSummary(goid, creation_ns=self.sync_ts)
            state_ns = t - self.sync_ts
            if new == _G_RUNNING:
                g.stats.exec_ns += state_ns
            elif new == _G_WAITING:
                _add(g.stats.block_ns, reason, state_ns)
            elif new == _G_RUNNABLE:
                g.stats.sched_wait_ns += state_ns
            elif new == _G_SYSCALL:
                if cur_p == -1:
                    g.stats.syscall_block_ns += state_ns
                else:
                    g.stats.syscall_ns += state_ns
            self.gs[goid] = g
        elif old == _G_NOT:
            g = GoroutineSummary(goid, creation_ns=t)
            creator = self.gs.get(cur_g)
            if creator is not None and creator.active_regions:
                top = creator.active_regions[-1]
                g.active_regions = [RegionSummary(top.task_id, "", t)]
            self.gs[goid] = g
        elif g is None:
            return  # NOTE: Go would dereference nil here; see module doc
        elif old == _G_RUNNING:
            g.stats.exec_ns += t - g.last_start
            g.last_start = 0
        elif old == _G_WAITING:
            if g.last_block != 0:
                _add(g.stats.block_ns, g.last_block_reason, t - g.last_block)
                g.last_block = 0
        elif old == _G_RUNNABLE:
            if g.last_runnable != 0:
                g.stats.sched_wait_ns += t - g.last_runnable
                g.last_runnable = 0
        elif old == _G_SYSCALL and g.last_syscall != 0:
            if g.last_syscall_block != 0:
                g.stats.syscall_block_ns += t - g.last_syscall_block
                g.stats.syscall_ns += g.last_syscall_block - g.last_syscall
            else:
                g.stats.syscall_ns += t - g.last_syscall
            g.last_syscall = 0
            g.last_syscall_block = 0
            p = self.syscalling_g.pop(goid, None)
            self.syscalling_p.pop(p, None)
            if p is None:
                # Go: delete(s.syscallingP, s.syscallingG[id]) with the zero ProcID
                self.syscalling_p.pop(0, None)

        if g.name == "":
            root = self._root(ev, gi, tstack)
            if root is not None:
                g.pc, g.name = root

        if new == _G_RUNNING:
            g.last_start = t
            if g.start_ns == 0:
                g.start_ns = t
        elif new == _G_RUNNABLE:
            g.last_runnable = t
        elif new == _G_WAITING and reason != "forever":
            g.last_block = t
            g.last_block_reason = reason
        elif new in (_G_WAITING, _G_NOT):
            g.finalize(t, t)
        elif new == _G_SYSCALL:
            self.syscalling_p[cur_p] = goid
            self.syscalling_g[goid] = cur_p
            g.last_syscall = t

    def finalize(self) -> tuple[dict[int, GoroutineSummary], dict[int, TaskSummary]]:
        """Go's ``Finalize``: close every goroutine at the last event; sort regions by start."""
        for g in self.gs.values():
            g.finalize(self.last_ts, None)
            # Go's SortFunc over regions by start time, nil first (pdqsort; ties are
            # regions that began at one instant, which a stable sort keeps in end order).
            g.regions.sort(key=lambda r: (r.start_ns is not None, r.start_ns or 0))
            g.live = False
        return self.gs, self.tasks
