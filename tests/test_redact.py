"""The redaction helper masks every kind of secret the system handles and leaves the rest alone."""

from __future__ import annotations

import pytest

from marketjobs.redact import MASK, is_secret_key, redact, redact_text

SECRET = "s3cr3t-Value_42"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"postgresql://app:{SECRET}@db.internal/prod", f"postgresql://app:{MASK}@db.internal/prod"),
        (f"amqp://guest:{SECRET}@rabbit:5672/%2F", f"amqp://guest:{MASK}@rabbit:5672/%2F"),
        (f"redis://:{SECRET}@cache:6379/0", f"redis://:{MASK}@cache:6379/0"),
        (
            f"https://q.example/v1?symbol=AAPL&api_key={SECRET}",
            f"https://q.example/v1?symbol=AAPL&api_key={MASK}",
        ),
        (f"https://q.example/v1?token={SECRET}&x=1", f"https://q.example/v1?token={MASK}&x=1"),
        (f"Authorization: Bearer {SECRET}", f"Authorization: Bearer {MASK}"),
        (f"{{'Authorization': '{SECRET}'}}", f"{{'Authorization': '{MASK}'}}"),
        (f"X-Api-Key={SECRET}", f"X-Api-Key={MASK}"),
        ("https://q.example/v1?symbol=AAPL", "https://q.example/v1?symbol=AAPL"),
        ("sqlite:///var/marketjobs.db", "sqlite:///var/marketjobs.db"),
        ("plain text with a key idea", "plain text with a key idea"),
        (f"login failed: password={SECRET} rejected", f"login failed: password={MASK} rejected"),
        (f"host=db user=app password={SECRET} dbname=x", f"host=db user=app password={MASK} dbname=x"),
        (f"api_key: {SECRET}", f"api_key: {MASK}"),
        ("the token expired at noon", "the token expired at noon"),
        (f"noop(token='{SECRET}')", f"noop(token='{MASK}')"),  # how Dramatiq logs a message
        # repr switches to double quotes for a value holding a single one; JSON escapes its quotes
        (repr({"password": f"{SECRET}'x"}), f"{{'password': \"{MASK}\"}}"),
        (f'{{"token": "{SECRET}\\"x"}}', f'{{"token": "{MASK}"}}'),
        (f"{{'private_key': '{SECRET}'}}", f"{{'private_key': '{MASK}'}}"),
        ("a-" * 5000 + f"redis://:{SECRET}@host", "a-" * 5000 + f"redis://:{MASK}@host"),
        (f"{{'password': '{SECRET}', 'symbol': 'AAPL'}}", f"{{'password': '{MASK}', 'symbol': 'AAPL'}}"),
        (f'{{"api_key": "{SECRET}"}}', f'{{"api_key": "{MASK}"}}'),
    ],
)
def test_redact_text_masks_url_passwords_secret_queries_and_auth_headers(text: str, expected: str) -> None:
    assert redact_text(text) == expected
    assert SECRET not in redact_text(text)


@pytest.mark.parametrize(
    ("key", "secret"),
    [("password", True), ("api_key", True), ("apiKey", True), ("X-Api-Key", True), ("token", True),
     ("Authorization", True), ("client_secret", True), ("key", True), ("private_key", True),
     ("encryption_keys", True), ("MARKETJOBS_ENCRYPTION_KEYS", True),
     ("symbols", False), ("keyword", False), ("monkey_count", False), ("source", False), ("options", False)],
)  # fmt: skip
def test_secret_keys_are_recognised_and_ordinary_ones_are_not(key: str, secret: bool) -> None:
    assert is_secret_key(key) is secret


def test_redact_walks_nested_parameters_and_keeps_the_rest() -> None:
    params = {
        "source": "http",
        "symbols": ["AAPL"],
        "options": {"base_url": f"https://u:{SECRET}@q.example", "headers": {"Authorization": SECRET}},
        "password": SECRET,
        "empty_token": "",
    }
    shown = redact(params)
    assert SECRET not in repr(shown)
    assert shown["source"] == "http"
    assert shown["symbols"] == ["AAPL"]
    assert shown["options"]["headers"]["Authorization"] == MASK
    assert shown["empty_token"] == ""
    assert params["password"] == SECRET  # the input is not changed


def test_log_redaction_masks_messages_arguments_and_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from marketjobs.redact import install_log_redaction

    install_log_redaction()
    install_log_redaction()  # idempotent
    logger = logging.getLogger("marketjobs.test")
    with caplog.at_level(logging.INFO):
        logger.info("connecting to %s", f"postgresql://app:{SECRET}@db/prod")
        try:
            raise RuntimeError(f"cannot reach https://h.example/?token={SECRET}")
        except RuntimeError:
            logger.exception("failed")
    assert SECRET not in caplog.text
    assert f"postgresql://app:{MASK}@db/prod" in caplog.text
    assert "RuntimeError: cannot reach" in caplog.text
