"""The full-text index of tickets: its DDL on each database, rebuild, and bulk loading.

What is indexed: a ticket's subject, description, operator reference, line reference and the
bodies of its *public* timeline events (internal notes never enter the index, so an operator
can never find a ticket by a word of a note). The ticket reference itself is not indexed: the
search matches it exactly (see ``search.py``).

How it is kept up to date: database triggers, on both databases. Writes anywhere in the code
base (services, workflow, inbound mail, the admin, bulk seeding) keep the index right without
calling anything, inside the same transaction as the change. Events are append-only
(``TicketEvent`` is never updated or deleted), so a new public event *appends* its text to the
ticket's document; only an edit of a ticket's own fields recomputes the whole document.
The price: each public message costs one extra index update in its transaction, and bulk
loads should use :func:`bulk_loading` (triggers off, one set-based rebuild at the end).

* PostgreSQL: a ``tsvector`` column ``tickets_ticket.search_vector`` (outside the Django model,
  so ordinary queries never fetch it) with a GIN index, built with the ``french_unaccent``
  configuration (French stemming after ``unaccent``). Weights: subject and references A,
  description B, public events C (used by ``ts_rank``).
* SQLite: an FTS5 table ``tickets_ticket_fts`` (rowid = ticket id) tokenized with
  ``unicode61 remove_diacritics 2``, ranked with ``bm25``.
"""

# ruff: noqa: S608 (DDL: only module constants are formatted into the statements)
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection as default_connection

FTS_TABLE = "tickets_ticket_fts"
PG_CONFIG = "french_unaccent"

# --- PostgreSQL -----------------------------------------------------------------------------

PG_SETUP = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    f"""
    DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = '{PG_CONFIG}') THEN
        CREATE TEXT SEARCH CONFIGURATION {PG_CONFIG} (COPY = french);
        ALTER TEXT SEARCH CONFIGURATION {PG_CONFIG}
          ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;
      END IF;
    END $$
    """,
    "ALTER TABLE tickets_ticket ADD COLUMN IF NOT EXISTS search_vector tsvector",
    # The ticket's own fields; events are appended by the event trigger.
    f"""
    CREATE OR REPLACE FUNCTION esoutien_ticket_own_vector(
        subject text, description text, operator_reference text, line_reference text
    ) RETURNS tsvector LANGUAGE sql IMMUTABLE AS $$
      SELECT setweight(to_tsvector('{PG_CONFIG}', coalesce(subject, '') || ' '
                 || coalesce(operator_reference, '') || ' ' || coalesce(line_reference, '')), 'A')
          || setweight(to_tsvector('{PG_CONFIG}', coalesce(description, '')), 'B')
    $$
    """,
    f"""
    CREATE OR REPLACE FUNCTION esoutien_ticket_events_vector(ticket bigint)
    RETURNS tsvector LANGUAGE sql STABLE AS $$
      SELECT coalesce(setweight(to_tsvector('{PG_CONFIG}', string_agg(body, ' ' ORDER BY id)),
                                'C'), ''::tsvector)
      FROM tickets_ticketevent WHERE ticket_id = ticket AND public AND body <> ''
    $$
    """,
    """
    CREATE OR REPLACE FUNCTION esoutien_ticket_search_trigger() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        NEW.search_vector := esoutien_ticket_own_vector(
          NEW.subject, NEW.description, NEW.operator_reference, NEW.line_reference);
      ELSIF (NEW.subject, NEW.description, NEW.operator_reference, NEW.line_reference)
            IS DISTINCT FROM
            (OLD.subject, OLD.description, OLD.operator_reference, OLD.line_reference) THEN
        NEW.search_vector := esoutien_ticket_own_vector(
          NEW.subject, NEW.description, NEW.operator_reference, NEW.line_reference)
          || esoutien_ticket_events_vector(NEW.id);
      END IF;
      RETURN NEW;
    END $$
    """,
    f"""
    CREATE OR REPLACE FUNCTION esoutien_event_search_trigger() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE tickets_ticket
         SET search_vector = coalesce(search_vector, ''::tsvector)
                             || setweight(to_tsvector('{PG_CONFIG}', NEW.body), 'C')
       WHERE id = NEW.ticket_id;
      RETURN NULL;
    END $$
    """,
]
PG_TRIGGERS = [
    """
    CREATE TRIGGER tickets_ticket_search BEFORE INSERT OR UPDATE OF
      subject, description, operator_reference, line_reference ON tickets_ticket
      FOR EACH ROW EXECUTE FUNCTION esoutien_ticket_search_trigger()
    """,
    """
    CREATE TRIGGER tickets_ticketevent_search AFTER INSERT ON tickets_ticketevent
      FOR EACH ROW WHEN (NEW.public AND NEW.body <> '')
      EXECUTE FUNCTION esoutien_event_search_trigger()
    """,
]
PG_DROP_TRIGGERS = [
    "DROP TRIGGER IF EXISTS tickets_ticketevent_search ON tickets_ticketevent",
    "DROP TRIGGER IF EXISTS tickets_ticket_search ON tickets_ticket",
]
PG_REBUILD = [
    f"""
    UPDATE tickets_ticket t SET search_vector = esoutien_ticket_own_vector(
        t.subject, t.description, t.operator_reference, t.line_reference)
      || coalesce(e.v, ''::tsvector)
    FROM tickets_ticket t2 LEFT JOIN (
        SELECT ticket_id, setweight(to_tsvector('{PG_CONFIG}',
                   string_agg(body, ' ' ORDER BY id)), 'C') AS v
          FROM tickets_ticketevent WHERE public AND body <> '' GROUP BY ticket_id
    ) e ON e.ticket_id = t2.id
    WHERE t2.id = t.id
    """,
]
PG_INDEX = (
    "CREATE INDEX IF NOT EXISTS tickets_ticket_search ON tickets_ticket USING gin (search_vector)"
)
PG_TEARDOWN = [
    *PG_DROP_TRIGGERS,
    "DROP INDEX IF EXISTS tickets_ticket_search",
    "ALTER TABLE tickets_ticket DROP COLUMN IF EXISTS search_vector",
    "DROP FUNCTION IF EXISTS esoutien_event_search_trigger()",
    "DROP FUNCTION IF EXISTS esoutien_ticket_search_trigger()",
    "DROP FUNCTION IF EXISTS esoutien_ticket_events_vector(bigint)",
    "DROP FUNCTION IF EXISTS esoutien_ticket_own_vector(text, text, text, text)",
    f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {PG_CONFIG}",
    # unaccent stays: other databases objects may use it, and it is harmless.
]

# --- SQLite ---------------------------------------------------------------------------------

_SQLITE_REFS = "coalesce(new.operator_reference, '') || ' ' || coalesce(new.line_reference, '')"
SQLITE_SETUP = [
    f"""
    CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(
      subject, description, refs, events, tokenize = 'unicode61 remove_diacritics 2'
    )
    """,
]
SQLITE_TRIGGERS = [
    f"""
    CREATE TRIGGER tickets_ticket_fts_insert AFTER INSERT ON tickets_ticket BEGIN
      INSERT INTO {FTS_TABLE}(rowid, subject, description, refs, events)
      VALUES (new.id, new.subject, new.description, {_SQLITE_REFS}, '');
    END
    """,
    f"""
    CREATE TRIGGER tickets_ticket_fts_update AFTER UPDATE OF
      subject, description, operator_reference, line_reference ON tickets_ticket
    WHEN old.subject IS NOT new.subject OR old.description IS NOT new.description
      OR old.operator_reference IS NOT new.operator_reference
      OR old.line_reference IS NOT new.line_reference
    BEGIN
      UPDATE {FTS_TABLE} SET subject = new.subject, description = new.description,
        refs = {_SQLITE_REFS} WHERE rowid = new.id;
    END
    """,
    f"""
    CREATE TRIGGER tickets_ticket_fts_delete AFTER DELETE ON tickets_ticket BEGIN
      DELETE FROM {FTS_TABLE} WHERE rowid = old.id;
    END
    """,
    f"""
    CREATE TRIGGER tickets_ticketevent_fts_insert AFTER INSERT ON tickets_ticketevent
    WHEN new.public AND new.body <> '' BEGIN
      UPDATE {FTS_TABLE} SET events = events || ' ' || new.body WHERE rowid = new.ticket_id;
    END
    """,
]
SQLITE_DROP_TRIGGERS = [
    "DROP TRIGGER IF EXISTS tickets_ticketevent_fts_insert",
    "DROP TRIGGER IF EXISTS tickets_ticket_fts_delete",
    "DROP TRIGGER IF EXISTS tickets_ticket_fts_update",
    "DROP TRIGGER IF EXISTS tickets_ticket_fts_insert",
]
SQLITE_REBUILD = [
    f"DELETE FROM {FTS_TABLE}",
    f"""
    INSERT INTO {FTS_TABLE}(rowid, subject, description, refs, events)
    SELECT t.id, t.subject, t.description,
           coalesce(t.operator_reference, '') || ' ' || coalesce(t.line_reference, ''),
           coalesce((SELECT group_concat(e.body, ' ') FROM
                       (SELECT body FROM tickets_ticketevent
                         WHERE ticket_id = t.id AND public AND body <> '' ORDER BY id) e), '')
      FROM tickets_ticket t
    """,
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('optimize')",
]
SQLITE_TEARDOWN = [*SQLITE_DROP_TRIGGERS, f"DROP TABLE IF EXISTS {FTS_TABLE}"]


def _run(connection: Any, statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def install(connection: Any) -> None:
    """Create the index, fill it from the existing rows, then start the triggers."""
    if connection.vendor == "postgresql":
        _run(connection, [*PG_SETUP, *PG_REBUILD, PG_INDEX, *PG_TRIGGERS])
    elif connection.vendor == "sqlite":
        _run(connection, [*SQLITE_SETUP, *SQLITE_REBUILD, *SQLITE_TRIGGERS])


def uninstall(connection: Any) -> None:
    if connection.vendor == "postgresql":
        _run(connection, PG_TEARDOWN)
    elif connection.vendor == "sqlite":
        _run(connection, SQLITE_TEARDOWN)


def rebuild(connection: Any = None) -> None:
    """Recompute every ticket's document in one set-based statement."""
    connection = connection or default_connection
    if connection.vendor == "postgresql":
        _run(connection, PG_REBUILD)
    elif connection.vendor == "sqlite":
        _run(connection, SQLITE_REBUILD)


@contextmanager
def bulk_loading(connection: Any = None) -> Iterator[None]:
    """Bulk inserts (bench seeding, imports): triggers off, one rebuild at the end.

    Per-row triggers would recompute a document per inserted event; one set-based rebuild is
    an order of magnitude faster. Not for use while the application is serving writes.
    """
    connection = connection or default_connection
    if connection.vendor == "postgresql":
        # Building the GIN index once is much faster than updating it row by row.
        _run(connection, [*PG_DROP_TRIGGERS, "DROP INDEX IF EXISTS tickets_ticket_search"])
    elif connection.vendor == "sqlite":
        _run(connection, SQLITE_DROP_TRIGGERS)
    try:
        yield
    finally:
        rebuild(connection)
        if connection.vendor == "postgresql":
            _run(connection, [PG_INDEX, *PG_TRIGGERS])
        elif connection.vendor == "sqlite":
            _run(connection, SQLITE_TRIGGERS)
