"""Held acks: settled oldest first, up to the first closed gate; a failed settlement keeps them held."""

from __future__ import annotations

from typing import Any

import pytest

from marketjobs.brokers.held_acks import HeldAcks


def _gates(*states: bool) -> tuple[HeldAcks, list[bool]]:
    held, opened = HeldAcks(), list(states)
    for index in range(len(states)):
        held.hold(f"m{index}", failed=index == 1, gate=lambda index=index: opened[index])
    return held, opened


def test_open_settlements_are_taken_oldest_first_up_to_the_first_closed_gate() -> None:
    held, opened = _gates(True, True, False, True)
    assert held.take_open() == [("m0", False), ("m1", True)]
    assert len(held) == 2  # m3 is open but waits behind m2
    opened[2] = True
    assert held.take_open() == [("m2", False), ("m3", False)]
    assert len(held) == 0


def test_settling_together_keeps_everything_held_when_it_fails() -> None:
    held, _ = _gates(True, True)
    settled: list[list[tuple[Any, bool]]] = []

    def refuse(entries: list[tuple[Any, bool]]) -> None:
        raise ConnectionError("broker gone")

    with pytest.raises(ConnectionError):
        held.settle_open_together(refuse)
    assert len(held) == 2
    held.settle_open_together(settled.append)
    assert settled == [[("m0", False), ("m1", True)]]
    assert len(held) == 0
