"""Group commit without a database: who writes which rows when, and who learns of a failed write."""

from __future__ import annotations

import ctypes
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from marketjobs.brokers.group_commit import GroupCommit


class Store:
    """A write that records each call's rows; ``hold`` makes the next call wait for a gate."""

    def __init__(self, fail: Callable[[list[str]], Exception | None] = lambda rows: None) -> None:
        self.writes: list[list[str]] = []
        self.fail = fail
        self.stored: set[str] = set()
        self._gate: threading.Event | None = None
        self.entered = threading.Event()

    def __call__(self, rows: list[str]) -> None:
        gate, self._gate = self._gate, None
        if gate is not None:
            self.entered.set()
            assert gate.wait(10), "the test never opened the gate"
        error = self.fail(rows)
        if error is not None:
            raise error
        self.writes.append(rows)
        self.stored.update(rows)

    def hold(self) -> threading.Event:
        """Makes the next write wait until the returned event is set."""
        self._gate = threading.Event()
        return self._gate


def wait_for(predicate: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not predicate():
        assert time.monotonic() < deadline, "the condition was never reached"
        time.sleep(0.001)


@contextmanager
def senders(group: GroupCommit[str], submissions: list[list[str]]) -> Iterator[dict[str, BaseException]]:
    """Submits each list in a thread of its own; yields {first row: error} once all have returned."""
    errors: dict[str, BaseException] = {}

    def send(rows: list[str]) -> None:
        try:
            group.submit(rows)
        except Exception as exc:
            errors[rows[0]] = exc

    threads = [threading.Thread(target=send, args=(rows,)) for rows in submissions]
    for thread in threads:
        thread.start()
    try:
        yield errors
    finally:
        for thread in threads:
            thread.join(10)


def test_a_lone_sender_writes_at_once_one_write_per_submission() -> None:
    store = Store()
    group = GroupCommit(store)
    for n in range(5):
        group.submit([f"r{n}"])
        assert store.writes[-1] == [f"r{n}"]
    assert group.writes == 5


def test_senders_arriving_during_a_write_share_the_next_one() -> None:
    store = Store()
    group = GroupCommit(store)
    gate = store.hold()
    leader = threading.Thread(target=group.submit, args=(["lead"],))
    leader.start()
    assert store.entered.wait(10)
    with senders(group, [[f"f{n}a", f"f{n}b"] for n in range(5)]) as errors:
        wait_for(lambda: group.waiting == 5)
        gate.set()
    leader.join(10)
    assert errors == {}
    assert store.writes[0] == ["lead"]
    assert len(store.writes) == 2, "the five followers went out in one write"
    assert sorted(store.writes[1]) == sorted(f"f{n}{x}" for n in range(5) for x in "ab")


def test_many_threads_store_every_row_exactly_once_and_return_after_their_write() -> None:
    store = Store()
    group = GroupCommit(store)
    late: list[str] = []

    def send(thread: int) -> None:
        for n in range(200):
            row = f"{thread}:{n}"
            group.submit([row])
            if row not in store.stored:
                late.append(row)

    threads = [threading.Thread(target=send, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    written = [row for rows in store.writes for row in rows]
    assert sorted(written) == sorted(f"{t}:{n}" for t in range(8) for n in range(200))
    assert late == [], "a submit returned before its row was written"
    assert group.rows_written == 1600


def test_a_failed_write_fails_every_sender_of_it_and_no_other() -> None:
    lost = ConnectionError("the database went away")
    store = Store(fail=lambda rows: lost if "f0" in rows else None)
    group = GroupCommit(store)
    gate = store.hold()
    leader = threading.Thread(target=group.submit, args=(["lead"],))
    leader.start()
    assert store.entered.wait(10)
    with senders(group, [[f"f{n}"] for n in range(3)]) as errors:
        wait_for(lambda: group.waiting == 3)
        gate.set()
    leader.join(10)
    assert errors == {"f0": lost, "f1": lost, "f2": lost}
    assert store.stored == {"lead"}
    group.submit(["after"])  # the next write is a fresh start
    assert "after" in store.stored


def test_an_error_split_to_its_submission_fails_only_that_sender() -> None:
    store = Store(fail=lambda rows: ValueError("bad row") if "bad" in rows else None)
    group = GroupCommit(store, split=lambda error: isinstance(error, ValueError))
    gate = store.hold()
    leader = threading.Thread(target=group.submit, args=(["lead"],))
    leader.start()
    assert store.entered.wait(10)
    with senders(group, [["ok1"], ["bad"], ["ok2", "ok3"]]) as errors:
        wait_for(lambda: group.waiting == 3)
        gate.set()
    leader.join(10)
    assert list(errors) == ["bad"]
    assert isinstance(errors["bad"], ValueError)
    assert store.stored == {"lead", "ok1", "ok2", "ok3"}


def test_grouped_writes_stop_at_max_rows_but_never_cut_a_submission() -> None:
    store = Store()
    group = GroupCommit(store, max_rows=4)
    group.submit([f"big{n}" for n in range(6)])
    assert store.writes == [[f"big{n}" for n in range(6)]], "a large submission is written whole"
    gate = store.hold()
    leader = threading.Thread(target=group.submit, args=(["lead"],))
    leader.start()
    assert store.entered.wait(10)
    with senders(group, [[f"s{n}a", f"s{n}b"] for n in range(4)]) as errors:
        wait_for(lambda: group.waiting == 4)
        gate.set()
    leader.join(10)
    assert errors == {}
    assert [len(rows) for rows in store.writes[2:]] == [4, 4]


def test_an_interrupt_raised_by_the_write_reaches_its_senders() -> None:
    def interrupted(rows: list[str]) -> Exception | None:
        raise KeyboardInterrupt

    group = GroupCommit(Store(fail=interrupted))
    with pytest.raises(KeyboardInterrupt):
        group.submit(["lead"])
    assert group.waiting == 0


def test_a_forked_child_starts_afresh_even_if_the_parent_was_writing() -> None:
    store = Store()
    group = GroupCommit(store)
    gate = store.hold()
    leader = threading.Thread(target=group.submit, args=(["parent"],))
    leader.start()
    assert store.entered.wait(10)
    pid = os.fork()
    if pid == 0:  # the child: the parent's write is not ours to wait for
        try:
            group.submit(["child"])
            os._exit(0 if store.writes[-1] == ["child"] else 1)
        except BaseException:
            os._exit(2)
    gate.set()
    leader.join(10)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert store.writes == [["parent"]]


class _TimeLimit(BaseException):
    """Stands in for Dramatiq's TimeLimitExceeded, raised in a worker thread from outside."""


def test_a_sender_interrupted_while_waiting_leaves_the_writes_and_other_senders_alone() -> None:
    store = Store()
    group = GroupCommit(store)
    gate = store.hold()
    outcome: dict[str, BaseException | None] = {}

    def send(rows: list[str]) -> None:
        try:
            group.submit(rows)
            outcome[rows[0]] = None
        except BaseException as exc:
            outcome[rows[0]] = exc

    first = threading.Thread(target=send, args=(["first"],))
    first.start()
    assert store.entered.wait(10)
    # Dramatiq's TimeLimit middleware interrupts a worker thread this way, wherever it is (the exception
    # lands once the thread runs Python code again: here when the write wakes it).
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(first.ident or 0), ctypes.py_object(_TimeLimit))
    gate.set()
    first.join(10)
    assert isinstance(outcome["first"], _TimeLimit)
    group.submit(["second"])  # the committer was not the interrupted thread: sends go on
    assert store.stored == {"first", "second"}
