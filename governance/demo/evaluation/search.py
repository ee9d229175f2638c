"""Measuring search: a labelled query set on the demo catalog, nDCG@10 and precision@5.

``fixtures/search_queries.json`` holds the judgements (CivitAI model ids, so they survive
re-imports).
:func:`evaluate` runs every query through the real search service as ``user`` and averages
the metrics; ``benchmarks/bench_search.py`` prints them for each mode side by side.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth.models import AbstractBaseUser

from governance.catalog.models import Hub, Model
from governance.discovery.selectors import SearchParams, search

QUERIES = Path(__file__).resolve().parent / "fixtures" / "search_queries.json"


@dataclass(frozen=True)
class Judged:
    query: str
    kind: str
    relevant: frozenset[str]


@dataclass(frozen=True)
class Scores:
    ndcg_at_10: float
    precision_at_5: float
    queries: int


def load_queries(path: Path = QUERIES) -> list[Judged]:
    data = json.loads(path.read_text())
    return [
        Judged(item["q"], item["kind"], frozenset(str(i) for i in item["relevant"]))
        for item in data["queries"]
    ]


def ndcg_at(ranked: list[str], relevant: frozenset[str], k: int = 10) -> float:
    """Binary-gain nDCG@k: 1 when every relevant model leads the list."""
    dcg = sum(1.0 / math.log2(i + 2) for i, item in enumerate(ranked[:k]) if item in relevant)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(relevant), k)))
    return dcg / ideal if ideal else 0.0


def precision_at(ranked: list[str], relevant: frozenset[str], k: int = 5) -> float:
    """Relevant models among the first k, divided by k (so 1 relevant model caps it at 0.2)."""
    return sum(1 for item in ranked[:k] if item in relevant) / k


def evaluate(
    *,
    user: AbstractBaseUser,
    mode: str,
    kind: str | None = None,
    queries: list[Judged] | None = None,
) -> Scores:
    """Mean nDCG@10 and precision@5 of ``mode`` over the set (or only one ``kind`` of query)."""
    judged = [q for q in (queries or load_queries()) if kind is None or q.kind == kind]
    external = dict(Model.objects.filter(hub=Hub.CIVITAI).values_list("pk", "external_id"))
    ndcg = precision = 0.0
    for item in judged:
        results = search(
            user=user, params=SearchParams(query=item.query, mode=mode, limit=10, personalize=False)
        )
        ranked = [external.get(hit.model.pk, "") for hit in results.hits]
        ndcg += ndcg_at(ranked, item.relevant)
        precision += precision_at(ranked, item.relevant)
    n = len(judged) or 1
    return Scores(ndcg / n, precision / n, len(judged))
