"""Executors for jobs: a thread pool and a synchronous one for tests (L3, no Qt).

Both expose ``submit(fn, *args, **kwargs) -> concurrent.futures.Future`` and
``shutdown()``. Kernels release the GIL (``nogil=True``), so a pool of threads
really runs decoding in parallel (STYLE.md §4.4, napari's ``_LayerSlicer``).

Errors are never swallowed: a job's exception is stored on its future
(``future.exception()``/``future.result()`` re-raise it), and
:class:`ImmediateExecutor` stores it the same way instead of raising at
``submit``, so code written against the pool behaves identically in tests.
"""

from __future__ import annotations

import concurrent.futures as cf
from collections.abc import Callable
from typing import Any, Protocol

__all__ = ["Executor", "ImmediateExecutor", "ThreadExecutor"]


class Executor(Protocol):
    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future: ...

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None: ...


class ThreadExecutor:
    """A ``ThreadPoolExecutor`` (default 2 workers: the target laptops have few cores)."""

    def __init__(self, max_workers: int = 2, *, name: str = "goroscope-job") -> None:
        self._pool = cf.ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix=name)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future:
        return self._pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)

    def __enter__(self) -> ThreadExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()


class ImmediateExecutor:
    """Runs each job synchronously inside ``submit`` (napari's ``force_sync``); for tests.

    The returned future is already done; done-callbacks added later run at once
    (``Future.add_done_callback`` semantics), on the calling thread.
    """

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future:
        fut: cf.Future = cf.Future()
        fut.set_running_or_notify_cancel()
        try:
            result = fn(*args, **kwargs)
        except BaseException as e:  # stored on the future, re-raised by result()
            fut.set_exception(e)
        else:
            fut.set_result(result)
        return fut

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        return None

    def __enter__(self) -> ImmediateExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        return None
