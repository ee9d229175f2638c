"""Full-text search backend: PostgreSQL's own full-text search, or SQLite's FTS5.

PostgreSQL: a weighted tsvector per model (name A, tags and trigger words B, creator, type,
base models and version names C, descriptions D) matched with an OR of the query's stems and
ranked by ``ts_rank_cd``; names within trigram similarity of the query (pg_trgm) are added as
``typo`` matches, so "realstic vison" still finds "Realistic Vision". SQLite: the FTS5 table of
the same columns ranked by bm25 with the same weights. Serves the ``lexical`` and ``hybrid``
modes; filters are applied in the same scan (denormalised on the search documents) so a
filtered page is full. Discovery's index and filters come from governance.discovery.public,
the one API discovery publishes for search backends.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Sequence
from functools import reduce

from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramSimilarity
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import F, FloatField, Value
from django.db.models.functions import Greatest

from governance.discovery.public import SearchDocument, filter_documents, id_set
from governance.hookspecs import PluginSettings, SearchMatch, SearchRequest, hookimpl

_WORD = re.compile(r"\w+", re.UNICODE)
#: ts_rank_cd weights for D, C, B, A; bm25 weights for name, keywords, facets, body.
PG_WEIGHTS = [0.1, 0.3, 0.6, 1.0]
BM25_WEIGHTS = (10.0, 6.0, 3.0, 1.0)
#: Typo matches are looked for only when the words found fewer models than this.
TYPO_WHEN_FEWER_THAN = 20
#: The most matches ranked by ts_rank_cd per query (see ``_ranked``).
RANK_POOL = 2000


hubgate_settings = PluginSettings(
    defaults={"typo_threshold": 0.3},
    types={"typo_threshold": float},
    checks={"typo_threshold": (lambda value: 0 < value <= 1, "a number in (0, 1]")},
)


def words(query: str) -> list[str]:
    """The query's words, lower-case, each once, in order (never raw syntax)."""
    seen: list[str] = []
    for word in _WORD.findall(query.lower()):
        if word not in seen:
            seen.append(word)
    return seen[:32]


@hookimpl
def hubgate_search_models(request: SearchRequest, limit: int) -> Sequence[SearchMatch] | None:
    if request.mode not in ("lexical", "hybrid"):
        return None
    terms = words(request.query)
    if not terms:
        return None
    # The filters are columns of the search documents: one scan matches words and filters.
    documents = filter_documents(SearchDocument.objects.order_by(), request)
    if connection.vendor == "postgresql":
        return _postgres(request.query, terms, documents, limit)
    if connection.vendor == "sqlite":
        return _sqlite(terms, documents, limit)
    return None


def _postgres(query: str, terms: list[str], documents, limit: int) -> list[SearchMatch]:
    # Every word first (plainto_tsquery: AND), then any word (OR) for the rest: ranking only
    # the documents with every word keeps a common word from ranking half the catalog.
    # Stemming and stop words are PostgreSQL's; no user input is parsed as tsquery syntax.
    every = SearchQuery(" ".join(terms), search_type="plain", config="english")
    ranked = _ranked(documents, every, limit)
    if len(ranked) < limit and len(terms) > 1:
        anyword = reduce(
            operator.or_, (SearchQuery(t, search_type="plain", config="english") for t in terms)
        )
        seen = [pk for pk, _ in ranked]
        ranked += _ranked(documents.exclude(model_id__in=seen), anyword, limit - len(ranked))
    matches = [SearchMatch(pk, float(rank), "lexical") for pk, rank in ranked]
    found = {pk for pk, _ in ranked}
    if len(matches) < min(limit, TYPO_WHEN_FEWER_THAN):
        # Few hits: maybe a typo. Names that look like the query, by trigram similarity.
        typos = (
            documents.exclude(model_id__in=id_set(list(found)))
            .annotate(
                similarity=Greatest(
                    TrigramSimilarity("name", query), Value(0.0), output_field=FloatField()
                )
            )
            .filter(name__trigram_similar=query, similarity__gte=hubgate_settings["typo_threshold"])
            .order_by("-similarity", "model_id")
            .values_list("model_id", "similarity")[: limit - len(matches)]
        )
        matches += [SearchMatch(pk, float(sim), "typo") for pk, sim in typos]
    return matches


def _ranked(documents, query: SearchQuery, limit: int) -> list[tuple[int, float]]:
    """Documents matching ``query`` (filters included), best ``ts_rank_cd`` first.

    ``ts_rank_cd`` reads each document's whole tsvector, so it is computed for a bounded pool
    only: at most ``RANK_POOL`` matches (words and filters, one index scan) are taken first,
    then ranked. A query matching more than that ranks an arbitrary ``RANK_POOL`` of them:
    such a query needs more words or filters anyway."""
    pool = documents.filter(vector=query).values("model_id")[:RANK_POOL]
    ranked = (
        SearchDocument.objects.filter(model_id__in=pool)
        .annotate(rank=SearchRank(F("vector"), query, weights=PG_WEIGHTS, cover_density=True))
        .order_by("-rank", "model_id")
        .values_list("model_id", "rank")[:limit]
    )
    return [(pk, float(rank)) for pk, rank in ranked]


def _sqlite(terms: list[str], documents, limit: int) -> list[SearchMatch]:
    # Each word quoted (no FTS5 syntax from users) and prefix-matched, OR-ed; bm25 is lower-is-
    # better in SQLite.
    expression = " OR ".join('"' + t.replace('"', "") + '"*' for t in terms)
    try:
        subquery, params = documents.values("model_id").query.sql_with_params()
    except EmptyResultSet:  # the filters alone match nothing (e.g. a team that is not yours)
        return []
    # The subquery is Django's own SQL for the filtered documents, its values parameters.
    sql = (
        "SELECT rowid, bm25(discovery_fts, %s, %s, %s, %s) AS score FROM discovery_fts "  # noqa: S608
        f"WHERE discovery_fts MATCH %s AND rowid IN ({subquery}) ORDER BY score, rowid LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*BM25_WEIGHTS, expression, *params, limit])
        return [SearchMatch(pk, -float(score), "lexical") for pk, score in cursor.fetchall()]
