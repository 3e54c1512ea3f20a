"""Acks held until a condition holds, so worker threads never wait for a job record to be stored.

With ``ack_after_record`` the job-records middleware must not let the broker forget a message before the
job's final record is stored (a worker killed in between would leave a finished job recorded as running).
Brokers whose consumers support it deliver a :class:`HoldableMessageProxy`; the middleware gives it a gate
(:meth:`HoldableMessageProxy.hold_ack_until`) and the consumer writes the ack once the gate opens; the worker
thread moves on at once. Until then the message stays owned by the live consumer, and if the process dies it
is delivered again (at-least-once).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from dramatiq.broker import MessageProxy

__all__ = [
    "CLOSE_SETTLE_SECONDS",
    "GATE_POLL_SECONDS",
    "HeldAcks",
    "HoldableMessageProxy",
    "split_open",
]

#: How often held acks look at their gates while a consumer closes, in seconds.
GATE_POLL_SECONDS = 0.002
#: How long closing waits for held acks' gates before giving up on them (they are redelivered), in seconds.
CLOSE_SETTLE_SECONDS = 15.0

Gate = Callable[[], bool]
T = TypeVar("T")


def split_open(held: list[tuple[T, Gate | None]]) -> tuple[list[T], list[tuple[T, Gate | None]]]:
    """(items whose gate is open or absent, the entries still waiting), each gate asked once."""
    ready: list[T] = []
    waiting: list[tuple[T, Gate | None]] = []
    for item, gate in held:
        if gate is None or gate():
            ready.append(item)
        else:
            waiting.append((item, gate))
    return ready, waiting


class HoldableMessageProxy(MessageProxy):
    """A delivered message whose ack or nack may be held until a gate opens."""

    def __init__(self, message: Any) -> None:
        super().__init__(message)
        self.ack_gate: Gate | None = None

    def hold_ack_until(self, gate: Gate) -> None:
        """Holds this message's ack or nack until ``gate()`` is true."""
        self.ack_gate = gate


class HeldAcks:
    """Acks and nacks waiting for their gates, in the order they were made; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: list[tuple[tuple[Any, bool], Gate | None]] = []

    def __len__(self) -> int:
        return len(self._held)

    def hold(self, message: Any, *, failed: bool, gate: Gate) -> None:
        """Keeps ``message``'s ack (or nack when ``failed``) until ``gate()`` is true."""
        with self._lock:
            self._held.append(((message, failed), gate))

    def take_open(self) -> list[tuple[Any, bool]]:
        """(message, failed) of the held settlements, oldest first, up to the first whose gate is closed.

        Gates open in about the order acks are held (a job record written covers every record queued
        before it), so the scan stops at the first closed one: asking every gate on every fetch cost a
        busy consumer more than its acks did. A later gate already open waits for the next call.
        """
        with self._lock:
            open_count = 0
            for _, gate in self._held:
                if gate is not None and not gate():
                    break
                open_count += 1
            ready = [entry for entry, _ in self._held[:open_count]]
            del self._held[:open_count]
        return ready

    def settle_open(self, settle: Callable[[Any, bool], None]) -> None:
        """Calls ``settle(message, failed)`` for each open settlement; if it raises, the rest stay held."""
        ready = self.take_open()
        for index, (message, failed) in enumerate(ready):
            try:
                settle(message, failed)
            except BaseException:
                with self._lock:
                    self._held[:0] = [(entry, None) for entry in ready[index:]]
                raise

    def settle_open_together(self, settle: Callable[[list[tuple[Any, bool]]], None]) -> None:
        """Calls ``settle(entries)`` once with every open settlement (e.g. one round trip for all of them);
        if it raises, they all stay held (settling one twice must be harmless)."""
        ready = self.take_open()
        if not ready:
            return
        try:
            settle(ready)
        except BaseException:
            with self._lock:
                self._held[:0] = [(entry, None) for entry in ready]
            raise

    def drain(self, settle: Callable[[Any, bool], None], timeout: float = CLOSE_SETTLE_SECONDS) -> None:
        """Settles everything held, waiting up to ``timeout`` seconds for gates to open."""
        deadline = time.monotonic() + timeout
        while True:
            self.settle_open(settle)
            if not self._held or time.monotonic() >= deadline:
                return
            time.sleep(GATE_POLL_SECONDS)
