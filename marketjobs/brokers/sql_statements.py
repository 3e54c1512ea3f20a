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
    "INSERT",
    "LEASE",
    "NACK",
    "NEWEST_DEAD",
    "NEXT_ETA",
    "NOTIFY",
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

INSERT = (
    "INSERT INTO broker_messages (queue, priority, eta, state, message_id, payload, deliveries, enqueued_at) "
    "VALUES (:queue, :priority, {now} + :delay, 'ready', :message_id, :payload, 0, {now})"
)
NOTIFY = "SELECT pg_notify(:channel, :queue)"
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
