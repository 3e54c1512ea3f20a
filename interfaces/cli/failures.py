"""What the command line says when a command fails: one to three lines that name the problem and the fix.

:func:`describe_failure` turns any exception into a :class:`Failure`: exit code 2 for usage and settings
(a bad option, URL or YAML file: the command line or the configuration must change), 1 for everything else
(a server down, a job that failed). No traceback is shown (``--debug`` or ``MARKETJOBS_DEBUG=1`` adds it)
and every message passes through the redaction helper, so no password from a URL reaches the terminal.
"""

from __future__ import annotations

import errno
import re
from collections.abc import Callable
from dataclasses import dataclass

from marketjobs.config import SQL_SCHEMES, get_settings, url_scheme
from marketjobs.errors import ConfigError, DuplicateJobError, MarketJobsError, OptionError, ParameterError
from marketjobs.redact import redact_text, redact_url

__all__ = ["RUNTIME", "USAGE", "Failure", "describe_failure"]

#: Exit code of a usage or settings error: the command line or the configuration must change.
USAGE = 2
#: Exit code of a failure at run time: a server, a file or a job.
RUNTIME = 1


@dataclass(frozen=True)
class Failure:
    """The message (without the ``error:`` prefix) and the exit code of a failed command."""

    message: str
    exit_code: int


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else ""


def _url(name: str) -> str:
    try:
        settings = get_settings()
    except Exception:  # the settings themselves are broken: their own error is shown instead
        return "?"
    return redact_url(settings.database_url if name == "database" else settings.broker_url)


def _store_variables() -> str:
    try:
        settings = get_settings()
    except Exception:
        return "MARKETJOBS_DATABASE_URL"
    if url_scheme(settings.broker_url) in SQL_SCHEMES and settings.broker_url != settings.database_url:
        return "MARKETJOBS_DATABASE_URL (or MARKETJOBS_BROKER_URL, also a database)"
    return "MARKETJOBS_DATABASE_URL"


#: (pattern in a database driver's message, what to say); ``{0}`` is the pattern's first group.
_DATABASE_PROBLEMS: tuple[tuple[str, str], ...] = (
    (r'role "([^"]+)" does not exist', "the database role {0!r} does not exist: create it (e.g. "
     "`createuser {0}`) or put an existing user in {variables}"),
    (r'database "([^"]+)" does not exist', "the database {0!r} does not exist: create it (e.g. "
     "`createdb {0}`) or fix the database name in {variables}"),
    (r"Unknown database '([^']+)'", "the database {0!r} does not exist: create it (CREATE DATABASE {0}) "
     "or fix the database name in {variables}"),
    (r"(password authentication failed|Access denied for user)", "the database refused the user or "
     "password; fix them in {variables}"),
    (r"(Connection refused|could not connect|Can't connect|timeout expired|Name or service not known|"
     r"could not translate host name)", "cannot reach the database at {url} ({detail}): start it, or fix "
     "the host and port in {variables}"),
    (r"unable to open database file", "cannot open the SQLite file of {url}: check that its directory "
     "exists and is writable, or fix {variables}"),
    (r"(no such table|relation \"[^\"]+\" does not exist|Table '[^']+' doesn't exist)", "the job store at "
     "{url} is not migrated: run `marketjobs db upgrade`"),
)  # fmt: skip


def _database(exc: Exception, where: tuple[str, str] | None = None) -> Failure:
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    url, variables = (redact_url(where[0]), where[1]) if where else (_url("database"), _store_variables())
    if isinstance(exc, ArgumentError | NoSuchModuleError):
        return Failure(
            f"{variables} {url} cannot be opened ({_first_line(str(exc))}); use "
            "sqlite:///var/marketjobs.db, postgresql://user@host/db or mysql://user@host/db",
            USAGE,
        )
    detail = " ".join(str(getattr(exc, "orig", None) or exc).split())
    for pattern, message in _DATABASE_PROBLEMS:
        match = re.search(pattern, detail)
        if match:
            short = _first_line(detail.rsplit("failed: ", 1)[-1].split(" Is the server", 1)[0])
            text = message.format(match.group(1), url=url, variables=variables, detail=short)
            return Failure(text, RUNTIME)
    detail = _first_line(detail.split("[SQL:", 1)[0]) or type(exc).__name__
    return Failure(f"the job store at {url} failed: {detail}; check {variables}", RUNTIME)


def _broker(exc: Exception, kind: str) -> Failure:
    text = str(exc) or repr(exc)
    if re.search(r"ACCESS_REFUSED|WRONGPASS|NOAUTH|invalid password|authentication", text, re.IGNORECASE):
        return Failure(
            f"{kind} at {_url('broker')} refused the user or password; fix them in MARKETJOBS_BROKER_URL",
            RUNTIME,
        )
    found = re.search(r"Connection refused|timed out|Name or service not known|No route to host", text)
    detail = found.group(0) if found else _first_line(text) or type(exc).__name__
    return Failure(
        f"cannot reach {kind} at {_url('broker')} ({detail}): start it, or fix MARKETJOBS_BROKER_URL",
        RUNTIME,
    )


def _os_error(exc: OSError) -> Failure:
    if exc.errno == errno.EADDRINUSE:
        return Failure(
            f"a port is already in use ({exc.strerror}): stop what listens on it or choose another port "
            "(MARKETJOBS_METRICS_PORT, MARKETJOBS_API_PORT or the command's --port)",
            RUNTIME,
        )
    where = f": {exc.filename}" if exc.filename else ""
    return Failure(f"{exc.strerror or exc}{where}; check the path and its permissions", RUNTIME)


def _yaml(exc: Exception) -> Failure:
    mark = getattr(exc, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    problem = getattr(exc, "problem", None) or _first_line(str(exc))
    return Failure(f"invalid YAML{where}: {problem}; fix the file", USAGE)


def _market_jobs(exc: MarketJobsError) -> Failure:
    usage = isinstance(exc, ConfigError | ParameterError | OptionError) and not isinstance(
        exc, DuplicateJobError
    )
    return Failure(str(exc), USAGE if usage else RUNTIME)


def _known(exc: Exception, where: tuple[str, str] | None) -> Failure | None:
    """The failure for exceptions of the libraries marketjobs drives, or None."""
    checks: list[tuple[str, str, Callable[[Exception], Failure]]] = [
        ("sqlalchemy.exc", "SQLAlchemyError", lambda e: _database(e, where)),
        ("redis.exceptions", "RedisError", lambda e: _broker(e, "Redis")),
        ("pika.exceptions", "AMQPError", lambda e: _broker(e, "RabbitMQ")),
        ("dramatiq.errors", "ConnectionError", lambda e: _broker(e, "the broker")),
        ("yaml", "YAMLError", _yaml),
    ]
    for module_name, class_name, describe in checks:
        try:
            module = __import__(module_name, fromlist=[class_name])
        except ImportError:  # pragma: no cover - every one is a dependency
            continue
        if isinstance(exc, getattr(module, class_name)):
            return describe(exc)
    return None


def describe_failure(exc: BaseException, *, where: tuple[str, str] | None = None) -> Failure:
    """What to print (redacted; one line, or one per problem of a settings error) and the exit code.
    ``where`` is the (URL, setting) of the database that failed when it is not the job store."""
    if isinstance(exc, MarketJobsError):
        failure = _market_jobs(exc)
    elif isinstance(exc, Exception) and (known := _known(exc, where)) is not None:
        failure = known
    elif isinstance(exc, OverflowError):
        failure = Failure(f"a number is too large ({exc}); use a smaller value", USAGE)
    elif isinstance(exc, OSError):
        failure = _os_error(exc)
    else:
        failure = Failure(
            f"unexpected {type(exc).__name__}: {_first_line(str(exc))}; run again with --debug for the "
            "traceback and report it",
            RUNTIME,
        )
    return Failure(redact_text(failure.message).strip(), failure.exit_code)
