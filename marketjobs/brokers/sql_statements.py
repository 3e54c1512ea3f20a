"""The SQL broker's statements, in the text of every dialect: ``{now}`` stands for the clock leases and due
times are stamped and compared on (:data:`NOW_SQL`), ``:ids`` for an expanding list of row ids.
:class:`~marketjobs.brokers.sql_table.MessageTable` fills them in for its database."""

from __future__ import annotations

__all__ = [
    "ACK",
    "DEPTH",
    "EXPIRED",
    "FENCE",
    "FLUSH",
    "INSERT_ARRAYS",
    "INSERT_MANY",
    "INSERT_ROW",
    "LEASE",
    "NACK",
    "NEWEST_DEAD",
    "NEXT_ETA",
    "NOTIFY_INSERTED",
    "NOW_SQL",
    "OLDEST_READY",
    "PURGE_DEAD",
    "REAP",
    "RELEASE_UNHELD",
    "RENEW",
    "REQUEUE",
    "UNFINISHED",
    "claim_sql",
]

#: The multi-row insert of new messages: one :data:`INSERT_ROW` per message follows, comma-separated.
INSERT_MANY = (
    "INSERT INTO broker_messages (queue, priority, eta, state, message_id, payload, deliveries, enqueued_at) "
    "VALUES "
)
#: One row of :data:`INSERT_MANY` in the drivers' positional style: queue, priority, then ``{eta}`` (a
#: parameter on SQLite, ``{now}`` + the delay parameter elsewhere), message id, payload, then ``{now}``.
INSERT_ROW = "(%s, %s, {eta}, 'ready', %s, %s, 0, {now})"
#: PostgreSQL: new messages from one array parameter per column, stored in array order. One text whatever
#: their number, so the driver parses it once and the server prepares it once.
INSERT_ARRAYS = (
    "INSERT INTO broker_messages (queue, priority, eta, state, message_id, payload, deliveries, enqueued_at) "
    "SELECT queue, priority, {now} + delay, 'ready', message_id, payload, 0, {now} "
    "FROM unnest(%b::varchar[], %b::smallint[], %b::bigint[], %b::varchar[], %b::bytea[]) "
    "WITH ORDINALITY AS new (queue, priority, delay, message_id, payload, n) ORDER BY n"
)
#: PostgreSQL: ``{insert}`` (an :data:`INSERT_MANY` or :data:`INSERT_ARRAYS`) that also notifies the
#: listeners of each queue it wrote to on ``{channel}``, in the same statement (delivered at commit).
NOTIFY_INSERTED = (
    "WITH stored AS ({insert} RETURNING queue) "
    "SELECT pg_notify('{channel}', queue) FROM (SELECT DISTINCT queue FROM stored) AS queues"
)
NEXT_ETA = "SELECT MIN(eta), {now} FROM broker_messages WHERE queue = :queue AND state = 'ready'"
LEASE = (
    "UPDATE broker_messages SET state = 'leased', lease_owner = :owner, lease_expires = {now} + :lease_ms, "
    "deliveries = deliveries + 1 WHERE id IN :ids"
)
#: The fence of every settlement: still leased, by this owner, in the delivery the consumer was handed.
FENCE = "id IN :ids AND state = 'leased' AND lease_owner = :owner AND deliveries = :deliveries"
ACK = "DELETE FROM broker_messages WHERE " + FENCE
#: One row at a time (each dead letter keeps its own error), fenced like the rest.
NACK = (
    "UPDATE broker_messages SET state = 'dead', dead_at = {now}, lease_owner = NULL, lease_expires = NULL, "
    "error = :error WHERE id = :id AND state = 'leased' AND lease_owner = :owner AND deliveries = :deliveries"
)
#: A graceful requeue hands back a delivery that never started: it does not count towards max_deliveries.
REQUEUE = (
    "UPDATE broker_messages SET state = 'ready', lease_owner = NULL, lease_expires = NULL, "
    "deliveries = deliveries - 1 WHERE " + FENCE
)
#: Leases of ``owner`` in ``queue`` that no delivery holds (leased by a claim whose answer was lost), back
#: to the queue uncounted.
RELEASE_UNHELD = (
    "UPDATE broker_messages SET state = 'ready', lease_owner = NULL, lease_expires = NULL, "
    "deliveries = deliveries - 1 WHERE queue = :queue AND lease_owner = :owner AND state = 'leased' "
    "AND id NOT IN :ids"
)
RENEW = (
    "UPDATE broker_messages SET lease_expires = {now} + :lease_ms "
    "WHERE lease_owner = :owner AND state = 'leased'"
)
EXPIRED = (
    "SELECT id FROM broker_messages "
    "WHERE queue = :queue AND state = 'leased' AND lease_expires < {now} LIMIT 1"
)
REAP = (
    "UPDATE broker_messages SET state = 'ready', lease_owner = NULL, lease_expires = NULL "
    "WHERE queue = :queue AND state = 'leased' AND lease_expires < {now}"
)
PURGE_DEAD = (
    "DELETE FROM broker_messages WHERE queue = :queue AND state = 'dead' AND dead_at < {now} - :dead_ttl_ms"
)
FLUSH = "DELETE FROM broker_messages WHERE queue = :queue AND state <> 'dead'"
UNFINISHED = "SELECT COUNT(*) FROM broker_messages WHERE queue = :queue AND state <> 'dead'"
DEPTH = (
    "SELECT state, eta > {now} AS is_delayed, COUNT(*) FROM broker_messages WHERE queue = :queue "
    "GROUP BY state, eta > {now}"
)
#: The newest dead letters of a queue, newest first.
NEWEST_DEAD = (
    "SELECT message_id, error FROM broker_messages WHERE queue = :queue AND state = 'dead' "
    "ORDER BY dead_at DESC, id DESC LIMIT :limit"
)
#: Due time of the oldest deliverable message (one seek on ix_broker_messages_due), and now.
OLDEST_READY = (
    "SELECT MIN(eta), {now} FROM broker_messages WHERE queue = :queue AND state = 'ready' AND eta <= {now}"
)

#: The database's clock in epoch milliseconds, per dialect: processes on many hosts stamp and compare leases
#: and due times on this one clock, never on their own. SQLite serves the processes of one host, whose clock
#: the statements are given (``:now``, read through :mod:`marketjobs.clock`).
NOW_SQL = {
    "postgresql": "CAST(EXTRACT(EPOCH FROM statement_timestamp()) * 1000 AS BIGINT)",
    "mysql": "(TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', UTC_TIMESTAMP(6)) DIV 1000)",
    "mariadb": "(TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', UTC_TIMESTAMP(6)) DIV 1000)",
}


def claim_sql(dialect: str) -> str:
    """The oldest due messages of a queue, highest priority first; rows locked with ``SKIP LOCKED`` where
    the database has row locks (SQLite's one writer needs none)."""
    lock = "" if dialect == "sqlite" else " FOR UPDATE SKIP LOCKED"
    return (
        "SELECT id, payload, deliveries FROM broker_messages "
        "WHERE queue = :queue AND state = 'ready' AND eta <= {now} "
        f"ORDER BY priority, eta, id LIMIT :limit{lock}"
    )
