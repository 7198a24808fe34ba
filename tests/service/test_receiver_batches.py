"""Deliveries that arrive together are claimed and published together (worker/web/batch.py): each still
gets its own answer, and each accepted one exactly one task.

Through a real `followthrough serve` on PostgreSQL, where a batch's claims are pipelined in one
transaction, with many senders at once and repeats among them; and the group commit itself, holding a
batch so that the next one gathers.
"""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import threading
import time
import weakref
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from redis import Redis

from tests.servers import postgres_database
from tests.service.test_receiver_floods import receiver, signed_delivery
from worker.web.batch import GroupCommit


def _answer(port: int, postmortem_id: str) -> tuple[str, int, str]:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.sendall(signed_delivery(postmortem_id))
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return postmortem_id, int(head.split(b" ", 2)[1]), json.loads(body)["status"]


def test_many_senders_at_once_each_get_one_task_and_repeats_are_duplicates(
        tmp_path: Path, redis_url: str, redis_client: Redis) -> None:
    distinct = [f"PM-batch-{n}" for n in range(48)]
    sent = distinct + distinct[::3]  # every third one is sent twice, at the same time as the rest
    with postgres_database("ft_batches") as database, receiver(tmp_path, redis_url, database) as port, \
            ThreadPoolExecutor(32) as senders:
        answers = list(senders.map(lambda pm: _answer(port, pm), sent))
    assert Counter((status, word) for _, status, word in answers) == {
        (202, "queued"): len(distinct), (200, "duplicate"): len(distinct[::3])}
    assert {pm for pm, _, word in answers if word == "queued"} == set(distinct)
    tasks = [json.loads(base64.b64decode(json.loads(raw)["body"]))
             for raw in redis_client.lrange("ingest", 0, -1)]
    redis_client.delete("ingest")
    assert sorted(args[0]["id"] for args, _kwargs, _embed in tasks) == sorted(distinct)
    assert len({kwargs["outbox_id"] for _args, kwargs, _embed in tasks}) == len(distinct)


def test_items_that_come_while_a_batch_is_committed_go_together_in_the_next() -> None:
    release = threading.Event()
    batches: list[list[int]] = []

    def commit(items: list[int]) -> list[int]:
        batches.append(items)
        if len(batches) == 1:
            release.wait(10)  # the first batch holds while the others come
        return [item * 10 for item in items]

    group: GroupCommit[int, int] = GroupCommit(commit, max_batch=4, name="test-group")

    async def run() -> list[int]:
        first = asyncio.ensure_future(group.submit(0))
        while not batches:
            await asyncio.sleep(0.01)
        rest = [asyncio.ensure_future(group.submit(n)) for n in range(1, 7)]
        await asyncio.sleep(0.1)
        release.set()
        return await asyncio.gather(first, *rest)

    assert asyncio.run(run()) == [0, 10, 20, 30, 40, 50, 60]
    assert batches == [[0], [1, 2, 3, 4], [5, 6]]  # at most max_batch at once, in the order they came


def test_an_error_of_a_batch_reaches_every_request_in_it_and_the_next_batch_runs() -> None:
    calls: list[list[str]] = []

    def commit(items: list[str]) -> list[str]:
        calls.append(items)
        if "bad" in items:
            raise RuntimeError("store down")
        return [item.upper() for item in items]

    group: GroupCommit[str, str] = GroupCommit(commit, max_batch=8, name="test-errors")

    async def run() -> tuple[BaseException | str, str]:
        failed = await asyncio.gather(group.submit("bad"), return_exceptions=True)
        return failed[0], await group.submit("fine")

    error, fine = asyncio.run(run())
    assert isinstance(error, RuntimeError) and str(error) == "store down"
    assert fine == "FINE"
    miscounted: GroupCommit[int, int] = GroupCommit(lambda items: [1, 2], max_batch=8, name="test-count")
    with pytest.raises(RuntimeError, match="2 results for 1 items"):
        asyncio.run(miscounted.submit(0))


def test_an_idle_group_commit_ends_its_thread_and_lets_its_owner_go() -> None:
    # The thread holds `commit`, so the receiver, its store and broker connections: once idle, it ends.
    class Owner:
        def commit(self, items: list[int]) -> list[int]:
            return [item + 1 for item in items]

    owner = Owner()
    gone = threading.Event()
    weakref.finalize(owner, gone.set)
    group: GroupCommit[int, int] = GroupCommit(owner.commit, max_batch=8, name="test-idle", idle_seconds=0.2)
    del owner

    def threads() -> list[threading.Thread]:
        return [thread for thread in threading.enumerate() if thread.name == "test-idle"]

    async def twice(group: GroupCommit[int, int]) -> tuple[int, int]:
        first = await group.submit(1)
        deadline = time.monotonic() + 10
        while threads() and time.monotonic() < deadline:  # past the idle time, the first thread ends
            await asyncio.sleep(0.05)
        assert threads() == []
        return first, await group.submit(2)  # a new one starts

    assert asyncio.run(twice(group)) == (2, 3)
    for thread in threads():
        thread.join(5)
    assert threads() == []
    del group
    assert gone.wait(1)
