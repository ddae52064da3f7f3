"""The sync bridge of :class:`~hf_router.MediaClient`: a private event loop in a daemon thread
(:class:`LoopThread`) on which the sync twins run the async engine, handing its events over
one by one, so that they never touch (and also work inside) the caller's event loop."""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

from ..events import Event

__all__ = ["LoopThread"]


class LoopThread:
    """A private event loop in a daemon thread: the sync twins run the async implementation
    there (with their own HTTP session), so they never touch the caller's event loop."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(
            target=self.loop.run_forever, name="hf-router-media", daemon=True
        )
        self.thread.start()

    def iterate(self, agen: AsyncIterator[Event]) -> Iterator[Event]:
        """Drive ``agen`` on the private loop and hand its items over one by one."""
        items: queue.SimpleQueue[tuple[bool, Any]] = queue.SimpleQueue()
        finished = threading.Event()

        async def pump() -> None:
            try:
                async for item in agen:
                    items.put((True, item))
                items.put((False, None))
            except Exception as exc:
                items.put((False, exc))
            finally:
                await agen.aclose()
                finished.set()

        future = asyncio.run_coroutine_threadsafe(pump(), self.loop)
        try:
            while True:
                ok, value = items.get()
                if ok:
                    yield value
                elif value is None:
                    return
                else:
                    raise value
        finally:
            future.cancel()  # no-op when done; else stops the generation on the private loop
            finished.wait(10)

    def run(self, coro: Any) -> Any:
        """Run one coroutine on the private loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def stop(self) -> None:
        """Stop the loop and its thread (idempotent)."""
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        if not self.thread.is_alive():
            self.loop.close()
