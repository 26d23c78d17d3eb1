"""What tasks touch: the access model for the controlled event loop.

A task runs from one ``await`` to the next without interruption, so its steps are atomic:
another task can only come in at an ``await``. ``races.core.recorder`` logs what each
task step touches; this module adds what orders tasks besides creation and awaiting
(``races.runtimes.asyncio.loop`` logs those): ``asyncio.Lock``, ``Semaphore``, ``Event``
and ``Queue`` order the step that gives (release, set, put) before the step that takes
(acquire, a wait that returns, get).
"""

from __future__ import annotations

import asyncio
from typing import Any

from races.core.recorder import StepRecorder


class TaskAccesses(StepRecorder):
    """The recorder of a controlled event loop's run."""

    def patch(self) -> None:
        self.wrap_made(asyncio.Lock)
        self._wrap_async_take(asyncio.Lock, "acquire", mutex=True)
        self.wrap_give(asyncio.Lock, "release")
        self._wrap_async_take(asyncio.Semaphore, "acquire")
        self.wrap_give(asyncio.Semaphore, "release")
        self._wrap_async_take(asyncio.Event, "wait")
        self.wrap_give(asyncio.Event, "set")
        self.wrap_give(asyncio.Queue, "put_nowait")
        self.wrap_take(asyncio.Queue, "get_nowait")
        self.wrap_give(asyncio.Queue, "task_done")
        self._wrap_async_take(asyncio.Queue, "join")

    def _wrap_async_take(self, klass: type, name: str, mutex: bool = False) -> None:
        real = klass.__dict__[name]
        synced = self.synced
        # asyncio's locks and semaphores serve their waiters first come, first served:
        # the order in which tasks ask decides the order in which they get it, so the
        # request is logged too (partial-order reduction reorders requests).
        queued = klass in (asyncio.Lock, asyncio.Semaphore)

        async def take(this: Any, *args: Any, **kwargs: Any) -> Any:
            if queued:
                synced("request", this)
            result = await real(this, *args, **kwargs)
            synced("acquire", this, mutex)
            return result

        self._set(klass, name, take)
