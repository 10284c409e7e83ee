"""L3: background jobs without Qt (executor, cancel tokens, staged progress, the session).

Public::

    ThreadExecutor(max_workers=2), ImmediateExecutor()      # executor.py
    CancelToken, JobCancelled, Progress, ProgressUpdate     # cancel.py
    TraceSession, Stage                                     # session.py

A job is ``fn(inputs, *, cancel, progress) -> result`` over immutable inputs
(STYLE.md §4.4); nothing here imports Qt (the GUI's JobBridge adapts callbacks
to queued signals).
"""

from __future__ import annotations

from goroscope.jobs.cancel import CancelToken, JobCancelled, Progress, ProgressUpdate
from goroscope.jobs.executor import Executor, ImmediateExecutor, ThreadExecutor
from goroscope.jobs.session import Stage, TraceSession

__all__ = [
    "CancelToken",
    "Executor",
    "ImmediateExecutor",
    "JobCancelled",
    "Progress",
    "ProgressUpdate",
    "Stage",
    "ThreadExecutor",
    "TraceSession",
]
