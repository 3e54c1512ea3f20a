"""The payload encoder: Dramatiq's JSON, optionally compressed and sealed with AES-256-GCM.

Every marketjobs process installs a :class:`PayloadEncoder` (:func:`marketjobs.jobs.broker.broker_from_url`
does). With no ``encryption_keys`` it writes and reads Dramatiq's plain JSON. With keys, a message becomes an
envelope::

    MAGIC | header length (2 bytes, big-endian) | header (JSON) | nonce (12 bytes) | ciphertext + GCM tag

The header names the key that sealed it (``kid``), the compression (``zip``) and, for messages, the fields a
broker and the job records need to settle and report a message they cannot open (``msg``: message id,
queue, actor, timestamp and the options ``priority``, ``retries``, ``redis_message_id``). The header is
authenticated as associated data: changing a byte of it, of the nonce or of the ciphertext fails decryption.

The first key encrypts; every key decrypts, so a key is rotated by putting a new one first and dropping the
old one once no message it sealed can remain (the dead-letter retention). A random 96-bit nonce per message
keeps one key safe for billions of messages; rotate well before 2**32.

A message that cannot be opened (altered, sealed with a key this process lacks, not encrypted while keys are
set) is not an error that kills the consumer: :meth:`PayloadEncoder.decode` returns it as a message with no
arguments and the :data:`~marketjobs.constants.MESSAGE_OPTION_UNDECODABLE` option holding the reason, which
every broker delivers and settles as usual; :class:`marketjobs.jobs.payloads.PayloadGuard` then sends it to
dead letters, and its job record shows the reason. Bytes that are not even an envelope or a JSON message
raise :class:`dramatiq.errors.DecodeError` (no message id to report them under); the brokers dead-letter them.
"""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

import dramatiq
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from dramatiq.encoder import MessageData
from dramatiq.errors import DecodeError

from marketjobs.config import Settings
from marketjobs.constants import MESSAGE_OPTION_PRIORITY, MESSAGE_OPTION_UNDECODABLE

__all__ = ["MAGIC", "PayloadEncoder"]

#: First bytes of an encrypted envelope (format 1); a NUL never starts JSON, so plain messages never match.
MAGIC = b"\x00MJE1"
#: Bytes of the random AES-GCM nonce of each envelope.
NONCE_BYTES = 12
#: Message options copied into the clear (authenticated) header: what brokers and records need to settle and
#: report a message that cannot be decrypted.
HEADER_OPTIONS = (MESSAGE_OPTION_PRIORITY, "retries", "redis_message_id")
#: A decompressed payload may be at most this many times ``max_message_bytes``.
MAX_COMPRESSION_RATIO = 64
#: The fields of every Dramatiq message.
_MESSAGE_FIELDS = frozenset(
    {"queue_name", "actor_name", "args", "kwargs", "options", "message_id", "message_timestamp"}
)
_HEADER_LENGTH_BYTES = 2


class PayloadEncoder(dramatiq.Encoder):
    """Dramatiq's JSON, sealed with AES-256-GCM when given keys (see the module docs).

    ``keys`` are (id, 32-byte key) pairs, newest first. Payloads whose JSON is longer than
    ``compress_above_bytes`` are zlib-compressed before encryption (None: never).
    """

    def __init__(
        self,
        keys: Sequence[tuple[str, bytes]] = (),
        *,
        compress_above_bytes: int | None = None,
        max_message_bytes: int = 1 << 20,
    ) -> None:
        self._ciphers = {key_id: AESGCM(secret) for key_id, secret in keys}
        if len(self._ciphers) != len(keys):
            raise ValueError("encryption key ids must be unique")
        self._sealing = keys[0][0] if keys else None
        self.compress_above_bytes = compress_above_bytes
        self.max_plaintext_bytes = max_message_bytes * MAX_COMPRESSION_RATIO

    @classmethod
    def from_settings(cls, settings: Settings) -> PayloadEncoder:
        """The encoder ``settings`` ask for (``encryption_keys``, ``compress_above_bytes``)."""
        return cls(
            [(key.id, key.secret_bytes()) for key in settings.encryption_keys],
            compress_above_bytes=settings.compress_above_bytes,
            max_message_bytes=settings.max_message_bytes,
        )

    @property
    def encrypts(self) -> bool:
        """True when payloads are encrypted."""
        return self._sealing is not None

    def encode(self, data: MessageData) -> bytes:
        plain = json.dumps(data, separators=(",", ":")).encode("utf-8")
        if self._sealing is None:
            return plain
        header: dict[str, Any] = {"kid": self._sealing}
        if self.compress_above_bytes is not None and len(plain) > self.compress_above_bytes:
            packed = zlib.compress(plain)
            if len(packed) < len(plain):
                plain, header["zip"] = packed, "zlib"
        if _is_message(data):
            header["msg"] = _routing(data)
        head = json.dumps(header, separators=(",", ":")).encode("utf-8")
        aad = MAGIC + len(head).to_bytes(_HEADER_LENGTH_BYTES, "big") + head
        nonce = os.urandom(NONCE_BYTES)
        return aad + nonce + self._ciphers[self._sealing].encrypt(nonce, plain, aad)

    def decode(self, data: bytes) -> MessageData:
        data = bytes(data)
        if data.startswith(MAGIC):
            return self._open(data)
        decoded: MessageData = _plain_json(data)
        if self._sealing is not None and _is_message(decoded):
            return _undecodable(
                decoded,
                f"message {decoded['message_id']} is not encrypted, but this process requires "
                "encryption (encryption_keys are set): it was sent by a process without the keys; "
                "set MARKETJOBS_ENCRYPTION_KEYS on every process, then retry the dead letter",
            )
        return decoded

    def _open(self, data: bytes) -> MessageData:
        start = len(MAGIC) + _HEADER_LENGTH_BYTES
        length = int.from_bytes(data[len(MAGIC) : start], "big")
        aad = data[: start + length]
        try:
            header = json.loads(data[start : start + length])
            if not isinstance(header, dict) or not isinstance(header.get("kid"), str):
                raise ValueError("no key id")
        except ValueError:
            raise _decode_error("encrypted payload with a malformed header; it cannot be read") from None
        routing = header.get("msg")
        key_id = header["kid"]
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            known = ", ".join(sorted(self._ciphers)) or "none"
            return self._refuse(
                routing,
                f"was encrypted with key {key_id!r}, which this process does not have (its encryption_keys: "
                f"{known}); add that key to encryption_keys (any position: every key decrypts), then "
                "retry the dead letter",
            )
        nonce, sealed = data[len(aad) : len(aad) + NONCE_BYTES], data[len(aad) + NONCE_BYTES :]
        try:
            plain = cipher.decrypt(nonce, sealed, aad)
        except (InvalidTag, ValueError):
            return self._refuse(
                routing,
                f"failed authentication with key {key_id!r}: it was altered after it was sent, or sealed "
                "with another key under the same id; it was not run",
            )
        try:
            if header.get("zip") == "zlib":
                plain = self._inflate(plain)
            elif header.get("zip") is not None:
                raise ValueError(f"unknown compression {header['zip']!r}")
            return json.loads(plain)  # type: ignore[no-any-return]
        except (ValueError, zlib.error) as exc:
            return self._refuse(routing, f"could not be read after decryption ({exc})")

    def _inflate(self, packed: bytes) -> bytes:
        inflater = zlib.decompressobj()
        plain = inflater.decompress(packed, self.max_plaintext_bytes)
        if inflater.unconsumed_tail or not inflater.eof:
            raise ValueError(f"it decompresses to more than {self.max_plaintext_bytes} bytes")
        return plain

    @staticmethod
    def _refuse(routing: Any, reason: str) -> MessageData:
        if not _is_routing(routing):
            raise _decode_error(f"encrypted payload {reason}")
        return _undecodable(routing, f"message {routing['message_id']} {reason}")


def _is_message(data: Any) -> bool:
    return isinstance(data, Mapping) and data.keys() >= _MESSAGE_FIELDS


def _routing(message: Mapping[str, Any]) -> dict[str, Any]:
    options = message.get("options") or {}
    return {
        "message_id": message["message_id"],
        "queue_name": message["queue_name"],
        "actor_name": message["actor_name"],
        "message_timestamp": message["message_timestamp"],
        "options": {name: options[name] for name in HEADER_OPTIONS if name in options},
    }


def _is_routing(routing: Any) -> bool:
    return (
        isinstance(routing, dict)
        and all(isinstance(routing.get(f), str) for f in ("message_id", "queue_name", "actor_name"))
        and isinstance(routing.get("message_timestamp"), int)
        and isinstance(routing.get("options", {}), dict)
    )


def _undecodable(routing: Mapping[str, Any], reason: str) -> MessageData:
    """A stand-in for a message that cannot be opened: its routing fields, no arguments, and the reason."""
    options = {k: v for k, v in (routing.get("options") or {}).items() if k in HEADER_OPTIONS}
    options[MESSAGE_OPTION_UNDECODABLE] = reason
    return {
        "queue_name": routing["queue_name"],
        "actor_name": routing["actor_name"],
        "args": [],
        "kwargs": {},
        "options": options,
        "message_id": routing["message_id"],
        "message_timestamp": routing["message_timestamp"],
    }


def _plain_json(data: bytes) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise _decode_error(
            f"payload of {len(data)} bytes is neither an encrypted envelope nor JSON; it cannot be read"
        ) from None


def _decode_error(text: str) -> DecodeError:
    """Dramatiq's decode error, without the payload (it may hold whatever a job carried)."""
    return DecodeError(text, b"", None)  # type: ignore[no-untyped-call]
