"""The payload encoder on its own: round trips, key rotation, compression, and what it makes of bad bytes."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from dramatiq import JSONEncoder, Message
from dramatiq.errors import DecodeError
from hypothesis import example, given
from hypothesis import strategies as st

from marketjobs.brokers.encryption import MAGIC, PayloadEncoder
from marketjobs.constants import MESSAGE_OPTION_UNDECODABLE

OLD, NEW = ("k1", os.urandom(32)), ("k2", os.urandom(32))


def message(**kwargs: Any) -> dict[str, Any]:
    """A Dramatiq message as the encoder sees it."""
    options = {"priority": "high", "retries": 2, "redis_message_id": "r-1", "secret_note": "x"}
    fields = {"args": [1, "AAPL"], "kwargs": {"api_key": "s3cret"}, "options": options, **kwargs}
    return Message(queue_name="analysis", actor_name="technical_analysis", **fields).asdict()


def flip(payload: bytes, index: int) -> bytes:
    return payload[:index] + bytes([payload[index] ^ 0x01]) + payload[index + 1 :]


@given(
    st.recursive(st.none() | st.booleans() | st.integers() | st.text(), lambda c: st.lists(c), max_leaves=20)
)
@example({"a": "b" * 5000})
def test_any_json_value_round_trips_encrypted_and_compressed(value: Any) -> None:
    encoder = PayloadEncoder([NEW], compress_above_bytes=100)
    encoded = encoder.encode(value)
    assert encoded.startswith(MAGIC)
    assert encoder.decode(encoded) == json.loads(json.dumps(value))


def test_an_encrypted_message_shows_no_parameter_and_decodes_to_itself() -> None:
    encoder = PayloadEncoder([NEW])
    original = message()
    encoded = encoder.encode(original)
    assert b"s3cret" not in encoded
    assert b"AAPL" not in encoded
    assert b"secret_note" not in encoded  # only the routing options travel in the clear
    assert encoder.decode(encoded) == json.loads(json.dumps(original))


def test_the_newest_key_encrypts_and_every_key_decrypts() -> None:
    before_rotation = PayloadEncoder([OLD]).encode(message())
    rotated = PayloadEncoder([NEW, OLD])
    after_rotation = rotated.encode(message())
    assert rotated.decode(before_rotation)["args"] == [1, "AAPL"]  # the old key still decrypts
    assert PayloadEncoder([NEW]).decode(after_rotation)["args"] == [1, "AAPL"]  # the new key encrypted it
    refused = PayloadEncoder([OLD]).decode(after_rotation)
    assert "key 'k2', which this process does not have" in refused["options"][MESSAGE_OPTION_UNDECODABLE]


def test_large_payloads_are_compressed_above_the_threshold_only() -> None:
    big = message(args=["x" * 50_000])
    compressed = PayloadEncoder([NEW], compress_above_bytes=1000).encode(big)
    plain = PayloadEncoder([NEW]).encode(big)
    assert len(compressed) < 1000 < 50_000 < len(plain)
    assert PayloadEncoder([NEW]).decode(compressed)["args"] == ["x" * 50_000]
    small = PayloadEncoder([NEW], compress_above_bytes=10_000).encode(message())
    assert b'"zip"' not in small


def test_a_decompression_bomb_is_refused_not_inflated() -> None:
    bomb = PayloadEncoder([NEW], compress_above_bytes=0).encode(message(args=["0" * 3_000_000]))
    opened = PayloadEncoder([NEW], max_message_bytes=1024).decode(bomb)
    assert "decompresses to more than 65536 bytes" in opened["options"][MESSAGE_OPTION_UNDECODABLE]


def test_any_altered_byte_makes_the_message_an_undecodable_stand_in_with_its_reason() -> None:
    encoder = PayloadEncoder([NEW])
    original = message()
    encoded = encoder.encode(original)
    header_end = encoded.index(b"}}}") + 3  # the end of the clear header
    for index in (header_end + 3, len(encoded) - 1, len(encoded) // 2):
        opened = encoder.decode(flip(encoded, index))
        reason = opened["options"][MESSAGE_OPTION_UNDECODABLE]
        assert "failed authentication with key 'k2'" in reason
        assert original["message_id"] in reason
        # What brokers and records need to settle and report it, and nothing of the payload:
        assert opened["message_id"] == original["message_id"]
        assert opened["actor_name"] == "technical_analysis"
        assert (opened["args"], opened["kwargs"]) == ([], {})
        assert opened["options"]["redis_message_id"] == "r-1"
        assert opened["options"]["retries"] == 2
        assert "secret_note" not in opened["options"]
        Message(**opened)  # every broker can build it


def test_an_altered_clear_header_fails_authentication_too() -> None:
    encoder = PayloadEncoder([NEW])
    encoded = encoder.encode(message())
    tampered = encoded.replace(b'"retries":2', b'"retries":0')
    reason = encoder.decode(tampered)["options"][MESSAGE_OPTION_UNDECODABLE]
    assert "failed authentication" in reason


def test_a_plain_message_is_refused_where_encryption_is_required() -> None:
    original = message()
    plain = PayloadEncoder().encode(original)
    assert plain == JSONEncoder().encode(original)  # without keys: Dramatiq's own JSON
    reason = PayloadEncoder([NEW]).decode(plain)["options"][MESSAGE_OPTION_UNDECODABLE]
    assert "is not encrypted" in reason
    assert "MARKETJOBS_ENCRYPTION_KEYS" in reason


def test_an_encrypted_message_reaching_a_process_without_keys_is_refused_with_the_fix() -> None:
    reason = PayloadEncoder().decode(PayloadEncoder([NEW]).encode(message()))["options"]
    assert (
        "key 'k2', which this process does not have (its encryption_keys: none)"
        in reason[MESSAGE_OPTION_UNDECODABLE]
    )


@pytest.mark.parametrize(
    "payload", [b"\xff\xfe not json", b"{truncated", MAGIC + b"\x00\x05{bad}", MAGIC + b"\x00"]
)
def test_bytes_that_are_no_message_raise_a_decode_error_without_the_payload(payload: bytes) -> None:
    with pytest.raises(DecodeError) as raised:
        PayloadEncoder([NEW]).decode(payload)
    assert "truncated" not in str(raised.value)
    assert raised.value.data == b""


def test_an_altered_non_message_payload_raises_a_decode_error() -> None:
    encoded = PayloadEncoder([NEW]).encode({"result": 42})
    with pytest.raises(DecodeError, match="failed authentication"):
        PayloadEncoder([NEW]).decode(flip(encoded, len(encoded) - 1))
