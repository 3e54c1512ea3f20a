"""The one redaction helper: secrets never leave the process in what it prints, logs, stores or serves.

:func:`redact` takes any JSON-like value (dicts, lists, strings) and returns a copy where

- a value under a key that names a secret (``token``, ``secret``, ``password``, ``passwd``, ``key``,
  ``encryption_keys``, ``authorization``, ``cookie``, ``credential``, ...) is replaced by ``"***"``;
- a URL's password (``scheme://user:pw@host``) becomes ``***``, and query parameters named like secrets
  (``?api_key=...``, ``&token=...``) keep their name with a ``***`` value;
- a secret-named key's value in free text (``password=...``, ``api_key: ...``, and quoted as reprs and JSON
  write it: ``'token': '...'``, ``token='...'``) becomes ``***``;
- an ``Authorization: Bearer ...`` style header in free text keeps its scheme with a ``***`` credential.

:func:`redact_text` does the same for one string (log lines, error messages, tracebacks).
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Mapping
from typing import Any

__all__ = ["MASK", "install_log_redaction", "is_secret_key", "redact", "redact_text", "redact_url"]

#: What a secret is replaced by.
MASK = "***"

_SECRET_KEY = re.compile(
    r"(pass(word|wd|phrase)?|secret|token|api[-_]?key|access[-_]?key|private[-_]?key|(^|[-_])key$"
    r"|encryption[-_]?keys?|authorization|auth[-_]?header|cookie|credential|signature|dsn)",
    re.IGNORECASE,
)
_URL_PASSWORD = re.compile(
    r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.\-]{0,31}://)(?P<user>[^:/@\s]*):(?P<pw>[^@/\s]+)@"
)
_QUERY_SECRET = re.compile(
    r"(?P<name>[?&;](?:[^=&\s]*)(?:token|secret|password|passwd|key|signature|sig|auth)[^=&\s]*)"
    r"=(?P<value>[^&#\s]*)",
    re.IGNORECASE,
)
#: Names of secret-named keys in free text; ``[\w-]{0,64}`` around them, not ``*``: an unbounded run
#: backtracked quadratically over long hyphenated words (16,000 characters took 10 s per pattern).
_SECRET_WORDS = (
    r"password|passwd|passphrase|secret|token|api[-_]?key|access[-_]?key|private[-_]?key|credential|cookie"
    r"|dsn|encryption[-_]?keys?"
)
_SECRET_NAME = r"(?P<name>\b[\w-]{0,64}?(?:" + _SECRET_WORDS + r")[\w-]{0,64}"
#: Texts without any secret word skip the two patterns above (most log lines: linear time).
_ANY_SECRET_WORD = re.compile(_SECRET_WORDS, re.IGNORECASE)
#: ``password=...`` / ``api_key: ...`` in free text (error messages, connection strings).
_ASSIGNED_SECRET = re.compile(
    _SECRET_NAME + r")(?P<sep>\s*[=:]\s*)(?P<value>(?!\*\*\*)[^\s&,;'\"]+)",
    re.IGNORECASE,
)
#: A quoted value of a secret-named key in a repr, JSON or keyword arguments: ``'token': '...'``,
#: ``"password": "..."``, ``api_key='...'`` (Dramatiq logs a message as ``noop(token='...')``); either
#: quote, with escaped quotes inside (repr switches to double quotes for a value holding a single one).
_QUOTED_SECRET = re.compile(
    _SECRET_NAME + r"['\"]?\s*[=:]\s*)(?P<value>'(?:[^'\\\n]|\\.)+'|\"(?:[^\"\\\n]|\\.)+\")",
    re.IGNORECASE,
)
_AUTH_HEADER = re.compile(
    r"(?P<name>(?:proxy-)?authorization|x-api-key|api-key|x-auth-token)(?P<sep>[\"']?\s*[:=]\s*[\"']?)"
    r"(?:(?P<scheme>bearer|basic|token|digest)\s+)?(?P<value>[^\s\"',;]+)",
    re.IGNORECASE,
)


def is_secret_key(key: str) -> bool:
    """True when a mapping key names a secret (its value is never shown)."""
    return bool(_SECRET_KEY.search(key))


def redact_url(url: str) -> str:
    """``url`` with its password and secret-named query values masked."""
    return redact_text(url)


def redact_text(text: str) -> str:
    """``text`` with URL passwords, secret query values, secret-named values and authorization headers
    masked."""
    text = _URL_PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text)
    text = _QUERY_SECRET.sub(lambda m: f"{m['name']}={MASK}", text)
    if _ANY_SECRET_WORD.search(text) is not None:
        text = _QUOTED_SECRET.sub(lambda m: f"{m['name']}{m['value'][0]}{MASK}{m['value'][0]}", text)
        text = _ASSIGNED_SECRET.sub(lambda m: f"{m['name']}{m['sep']}{MASK}", text)
    return _AUTH_HEADER.sub(
        lambda m: f"{m['name']}{m['sep']}{m['scheme'] + ' ' if m['scheme'] else ''}{MASK}", text
    )


def redact(value: Any) -> Any:
    """A copy of ``value`` with every secret masked (see the module docs); other values are unchanged."""
    if isinstance(value, Mapping):
        return {
            k: (MASK if isinstance(k, str) and is_secret_key(k) and v not in (None, "") else redact(v))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


def install_log_redaction() -> None:
    """Makes every log record of this process redacted: its message (with its arguments) and its
    traceback pass through :func:`redact_text` when the record is made, whichever handler prints it.
    Idempotent; the CLI, the workers (``actors``) and the API install it at start."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, "marketjobs_redacts", False):
        return

    def make_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to logging's own error handling
            return record
        redacted = redact_text(message)
        if redacted != message or record.args:
            record.msg, record.args = redacted, ()
        if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
            record.exc_text = redact_text("".join(traceback.format_exception(*record.exc_info)).rstrip())
        return record

    make_record.marketjobs_redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(make_record)
