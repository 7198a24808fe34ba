"""Group commit: the blocking work of many concurrent requests done together, on one thread.

A request hands its item to `GroupCommit.submit` and awaits the result. One thread takes every item
waiting (up to `max_batch`), runs `commit` on them all at once, and hands each request its own result.
Under load the batches grow by themselves: while one batch is in the store and the broker, the next
one gathers. An idle receiver commits each item alone, as soon as it comes.

The thread starts with the first item and ends after `idle_seconds` with none, so it does not keep
its owner (a receiver, its store and its broker connections) alive once nothing uses it any more.

The receiver uses it for the outbox claim and the publish of accepted deliveries: one pipelined INSERT
and one broker round trip per batch instead of per delivery, and one hand-off between the event loop and
a thread per batch instead of two per delivery.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Sequence
from queue import Empty, SimpleQueue
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")


class GroupCommit(Generic[Item, Result]):
    """Runs `commit(items) -> results` (one result per item, in order) on batches of submitted items."""

    def __init__(self, commit: Callable[[list[Item]], Sequence[Result]], *, max_batch: int,
                 name: str, idle_seconds: float = 30.0) -> None:
        self._commit = commit
        self._max_batch = max_batch
        self._idle_seconds = idle_seconds
        self._name = name
        self._queue: SimpleQueue[tuple[Item, asyncio.Future[Result], asyncio.AbstractEventLoop]] = (
            SimpleQueue())
        self._thread: threading.Thread | None = None
        self._start_guard = threading.Lock()

    async def submit(self, item: Item) -> Result:
        """`item`'s result, once the batch it joined is committed (or the exception `commit` raised)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Result] = loop.create_future()
        self._queue.put((item, future, loop))
        if self._thread is None:
            self._start()
        return await future

    def _start(self) -> None:
        with self._start_guard:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                batch = [self._queue.get(timeout=self._idle_seconds)]
            except Empty:
                with self._start_guard:  # an item put before this check is taken; one put after starts anew
                    if self._queue.empty():
                        self._thread = None
                        return
                continue
            while len(batch) < self._max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except Empty:
                    break
            self._settle(batch)

    def _settle(self, batch: list[tuple[Item, asyncio.Future[Result], asyncio.AbstractEventLoop]]) -> None:
        results: Sequence[Result] | None = None
        error: BaseException | None = None
        try:
            results = self._commit([item for item, _, _ in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"{self._name}: {len(results)} results for {len(batch)} items")
        except BaseException as exc:  # handed to every waiting request; the thread goes on
            results, error = None, exc
        loops: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Result], Result | None]]] = {}
        for n, (_, future, loop) in enumerate(batch):
            loops.setdefault(loop, []).append((future, None if results is None else results[n]))
        for loop, waiting in loops.items():
            try:
                loop.call_soon_threadsafe(_resolve, waiting, error)
            except RuntimeError:  # that loop is closed: nobody is waiting any more
                log.debug("%s: a batch's event loop closed before its results came", self._name)


def _resolve(waiting: list[tuple[asyncio.Future[Result], Result | None]],
             error: BaseException | None) -> None:
    for future, result in waiting:
        if future.done():  # the request was cancelled meanwhile
            continue
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]
