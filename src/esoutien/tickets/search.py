"""Ticket search: exact references first, then full-text matches ranked by relevance.

One selector for both databases; the index behind it is described in ``search_index.py``.
Search always narrows a queryset the caller has already scoped with ``accounts.access``, so it
can never widen what a user sees.

* Exact matches: the ticket reference in any form the portal accepts (``ES-2026-000042``,
  ``es 2026 42``, ``2026-42``, ``42``), a line reference or an operator's own reference.
* Full text: every word must match (AND), whole words, accents and case ignored. PostgreSQL
  also stems French words (``coupées`` finds "coupée"); SQLite's FTS5 has no French stemmer.
* Ranking: ``ts_rank`` (PostgreSQL) or field weights (SQLite, see ``_sqlite_window``), over the
  ``ESOUTIEN_SEARCH_WINDOW`` most recent matches only, so that a common word among a million
  tickets costs the same as a rare one. Older matches are reached by narrowing the query.
"""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

from django.conf import settings
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Expression,
    FloatField,
    IntegerField,
    Model,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.expressions import RawSQL

from esoutien.core import clock
from esoutien.tickets.references import candidate_references
from esoutien.tickets.search_index import FTS_TABLE, PG_CONFIG

M = TypeVar("M", bound=Model)

ORDERING = ["-search_exact", "-search_rank", "-id"]
MAX_QUERY_TERMS = 12  # more words only slow the query down; nobody types that many
_WORD = re.compile(r"\w+", re.UNICODE)
# SQLite has no French stop-word list; PostgreSQL's ``french`` configuration drops these.
_STOP_WORDS = frozenset(
    (
        "au",
        "aux",
        "avec",
        "ce",
        "ces",
        "dans",
        "de",
        "des",
        "du",
        "elle",
        "en",
        "et",
        "eux",
        "il",
        "je",
        "la",
        "le",
        "les",
        "leur",
        "lui",
        "ma",
        "mais",
        "me",
        "même",
        "mes",
        "moi",
        "mon",
        "ne",
        "nos",
        "notre",
        "nous",
        "on",
        "ou",
        "par",
        "pas",
        "pour",
        "qu",
        "que",
        "qui",
        "sa",
        "se",
        "ses",
        "son",
        "sur",
        "ta",
        "te",
        "tes",
        "toi",
        "ton",
        "tu",
        "un",
        "une",
        "vos",
        "votre",
        "vous",
        "c",
        "d",
        "j",
        "l",
        "à",
        "m",
        "n",
        "s",
        "t",
        "y",
        "été",
        "est",
        "",
    )
)


def _words(text: str) -> list[str]:
    words = [w.lower() for w in _WORD.findall(text) if w.lower() not in _STOP_WORDS]
    return [w for w in words if w.strip("_")][:MAX_QUERY_TERMS]


def _pg_tsquery(words: list[str]) -> str:
    # Quoted lexemes go through the configuration (unaccent, then French stemming).
    return " & ".join(f"'{w}'" for w in words)


def _fts5_query(words: list[str]) -> str:
    # Each word quoted: FTS5 operators in user input are then plain text. No prefix queries
    # ("word"*): on a million tickets they cost 100-250 ms each (measured), whole words 15-60.
    return " ".join(f'"{w}"' for w in words)


class _BaseColumn(Expression):
    """``<the query's own alias for tickets_ticket>.<column>``: correct in subqueries too."""

    def __init__(self, column: str, output_field: Any) -> None:
        super().__init__(output_field=output_field)
        self.column = column

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        alias = next(iter(compiler.query.alias_map))  # the base table comes first
        return f"{compiler.quote_name_unless_alias(alias)}.{self.column}", []


class _PgMatch(Expression):
    output_field = BooleanField()
    conditional = True

    def __init__(self, tsquery: str) -> None:
        super().__init__()
        self.tsquery = tsquery

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        column, _ = _BaseColumn("search_vector", FloatField()).as_sql(compiler, connection)
        return f"{column} @@ to_tsquery('{PG_CONFIG}', %s)", [self.tsquery]


class _PgRank(Expression):
    output_field = FloatField()

    def __init__(self, tsquery: str) -> None:
        super().__init__()
        self.tsquery = tsquery

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        column, _ = _BaseColumn("search_vector", FloatField()).as_sql(compiler, connection)
        return (
            f"coalesce(ts_rank({column}, to_tsquery('{PG_CONFIG}', %s)), 0)::float8",
            [self.tsquery],
        )


class _SqliteRank(Expression):
    """The rank computed for this ticket in the window query (a JSON map id → rank)."""

    output_field = FloatField()

    def __init__(self, ranks: dict[int, float]) -> None:
        super().__init__()
        self.ranks = json.dumps({str(k): v for k, v in ranks.items()})

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        ticket_id, _ = _BaseColumn('"id"', FloatField()).as_sql(compiler, connection)
        return f"coalesce(json_extract(%s, '$.\"' || {ticket_id} || '\"'), 0.0)", [self.ranks]


# Relevance on SQLite: which fields hold every word (subject/references weigh most).
_SQLITE_FIELD_WEIGHTS = (("{subject refs}", 3.0), ("{description}", 2.0))


def _sqlite_window(queryset: QuerySet[Any], words: list[str]) -> dict[int, float]:
    """id → relevance of the most recent matches within ``queryset``.

    FTS5 walks its index newest first (rowid DESC) and stops at the window, joining the
    caller's scoped query by primary key: well under a millisecond for a common word.
    Relevance: 1 for a match, plus the weight of each field group holding every word, found
    by two more FTS5 queries bounded to the window's rowid range. Not bm25: its document
    frequency reads a word's whole posting list, 25-65 ms for a common word among a million
    tickets (measured), and its scores would drift as tickets arrive, unsettling the pages.
    (A per-row ``MATCH ... AND rowid = ?`` subquery is worse: it re-reads the list per row.)
    """
    scoped, params = queryset.order_by().values("id").query.sql_with_params()
    match = _fts5_query(words)
    # Only constants and Django's own compiled SQL are formatted in; user text is a parameter.
    window_sql = (
        f"SELECT {FTS_TABLE}.rowid FROM {FTS_TABLE} "  # noqa: S608
        f"JOIN ({scoped}) scoped ON scoped.id = {FTS_TABLE}.rowid "
        f"WHERE {FTS_TABLE} MATCH %s ORDER BY {FTS_TABLE}.rowid DESC LIMIT %s"
    )
    field_sql = (
        f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s AND rowid >= %s "  # noqa: S608
        "AND rowid IN (SELECT value FROM json_each(%s))"
    )
    with connection.cursor() as cursor:
        cursor.execute(window_sql, [*params, match, settings.ESOUTIEN_SEARCH_WINDOW])
        ranks = {int(row[0]): 1.0 for row in cursor.fetchall()}
        if not ranks:
            return ranks
        lowest, ids = min(ranks), json.dumps(list(ranks))
        for fields, weight in _SQLITE_FIELD_WEIGHTS:
            cursor.execute(field_sql, [f"{fields} : ({match})", lowest, ids])
            for (rowid,) in cursor.fetchall():
                if rowid in ranks:
                    ranks[rowid] += weight
    return ranks


# How many of the scope's newest tickets the dense-word probes read (see _pg_window).
PG_PROBE_ROWS = 3_000
PG_PROBE_MAX = 40_000


def _pg_probe(queryset: QuerySet[Any], tsquery: str, rows: int, size: int) -> list[int]:
    recent = (
        queryset.order_by("-id")
        .annotate(doc=_BaseColumn("search_vector", FloatField()))
        .values("id", "doc")[:rows]
    )
    probe_sql, params = recent.query.sql_with_params()
    sql = (
        f"WITH recent AS MATERIALIZED ({probe_sql}) "  # noqa: S608 (Django's own SQL)
        f"SELECT id FROM recent WHERE doc @@ to_tsquery('{PG_CONFIG}', %s) "
        "ORDER BY id DESC LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, tsquery, size])
        return [row[0] for row in cursor.fetchall()]


def _pg_window(queryset: QuerySet[Any], words: list[str]) -> list[int]:
    """Ids of the most recent matches within ``queryset`` (at most the window).

    A GIN index finds matches in no order: for a common word, fetching and sorting 80,000
    matches to keep the newest 300 takes a second (measured). So probe the scope's newest
    tickets first, newest first, reading their stored vectors: PG_PROBE_ROWS of them, then as
    many as the density seen predicts the window needs (up to PG_PROBE_MAX). Words too rare
    for that are rare enough for the GIN index.
    """
    size = settings.ESOUTIEN_SEARCH_WINDOW
    tsquery = _pg_tsquery(words)
    ids = _pg_probe(queryset, tsquery, PG_PROBE_ROWS, size)
    if len(ids) >= size:
        return ids
    if ids:
        needed = int(PG_PROBE_ROWS * size / len(ids) * 1.3)
        if needed <= PG_PROBE_MAX:
            ids = _pg_probe(queryset, tsquery, needed, size)
            if len(ids) >= size:
                return ids
    rare = queryset.filter(_text_match(words)).order_by("-id").values_list("id", flat=True)
    return list(rare[:size])


def _text_match(words: list[str]) -> Q:
    if connection.vendor == "postgresql":
        return Q(_PgMatch(_pg_tsquery(words)))
    return Q(
        id__in=RawSQL(  # noqa: S611 (a constant table name; the text is a parameter)
            f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s",  # noqa: S608
            [_fts5_query(words)],
        )
    )


def exact_match(text: str) -> Q:
    """Tickets whose reference, line reference or operator reference is what was typed."""
    text = text.strip()
    this_year = clock.now().year
    refs = candidate_references(text, [this_year, this_year - 1])
    q = Q(reference=text.upper())
    if refs:
        q |= Q(reference__in=refs)
    if len(text) <= 64:
        q |= Q(line_reference=text.upper()) | Q(operator_reference=text)
    return q


def filter_text(queryset: QuerySet[M], text: str) -> QuerySet[M]:
    """``queryset`` narrowed to tickets matching ``text`` (exactly or full-text), unordered.

    For callers with their own order (the API lists newest first): no ranking cost.
    """
    text = text.strip()
    if not text:
        return queryset
    words = _words(text)
    condition = exact_match(text)
    if words:
        condition |= _text_match(words)
    return queryset.filter(condition)


def search_tickets(queryset: QuerySet[M], text: str) -> QuerySet[M]:
    """``queryset`` narrowed to tickets matching ``text``, best first.

    Ordered by ``ORDERING``: exact reference matches, then relevance (``search_rank``), then
    newest. Both ordering keys are annotations, so keyset pagination can page through them.
    """
    text = text.strip()
    if not text:
        return queryset
    words = _words(text)
    # The exact lookups first, by their own indexes, then the scope: a planner offered the
    # scope's index (operator_id) may otherwise scan all of an operator's tickets (measured).
    exact_any = queryset.model._default_manager.filter(exact_match(text)).values("id")[:50]
    exact_ids = list(queryset.filter(id__in=exact_any).order_by().values_list("id", flat=True)[:20])
    if exact_ids and " " not in text:
        # A reference was typed and found: its pieces ("FI", "2026") taken as words would
        # match half the base for nothing.
        words = []
    exact = Case(
        When(id__in=exact_ids, then=Value(1)), default=Value(0), output_field=IntegerField()
    )
    rank: Expression
    if connection.vendor == "postgresql":
        ids = _pg_window(queryset, words) if words else []
        matches = queryset.filter(id__in=[*exact_ids, *ids])
        rank = _PgRank(_pg_tsquery(words)) if words else Value(0.0, output_field=FloatField())
    else:
        ranks = _sqlite_window(queryset, words) if words else {}
        ranks.update({i: ranks.get(i, 0.0) for i in exact_ids})
        ranks_json = json.dumps({str(k): v for k, v in ranks.items()})
        # One JSON parameter rather than a thousand: Django prepares each IN parameter.
        matches = queryset.filter(
            id__in=RawSQL("SELECT CAST(key AS INTEGER) FROM json_each(%s)", [ranks_json])
        )
        rank = _SqliteRank(ranks)
    return matches.annotate(search_exact=exact, search_rank=rank).order_by(*ORDERING)


apply_text_filter = search_tickets
