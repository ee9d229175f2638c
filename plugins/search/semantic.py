"""Semantic search backend: cosine similarity of all-MiniLM-L6-v2 sentence embeddings.

The query is embedded on the CPU with numpy (through governance.discovery.public, no PyTorch) and
compared with every stored model embedding in one matrix product. Finds "lifelike photo of a
face" for "Realistic Vision" though they share no word. Serves ``semantic`` and ``hybrid``;
abstains (``None``) when the embedding model is not installed or nothing is embedded yet, so
lexical search carries on. With filters, the ``10 x limit`` nearest models are filtered in
one query on the search documents' filter columns (the search service filters again, with
the user's visibility).
"""

from __future__ import annotations

from collections.abc import Sequence

from governance.discovery.public import (
    EmbeddingModelMissing,
    SearchDocument,
    embed,
    filter_documents,
    has_filters,
    id_set,
    nearest_models,
)
from governance.hookspecs import PluginSettings, SearchMatch, SearchRequest, hookimpl

#: With filters, how many more nearest models are looked at than asked for.
OVERFETCH = 10


hubgate_settings = PluginSettings(
    defaults={"min_similarity": 0.2},
    types={"min_similarity": float},
    checks={"min_similarity": (lambda value: -1 <= value <= 1, "a number in [-1, 1]")},
)


@hookimpl
def hubgate_search_models(request: SearchRequest, limit: int) -> Sequence[SearchMatch] | None:
    if request.mode not in ("semantic", "hybrid") or not request.query.strip():
        return None
    try:
        vector = embed([request.query])[0]
    except EmbeddingModelMissing:
        return None
    nearest = [
        (pk, score)
        for pk, score in nearest_models(
            vector, limit=limit * OVERFETCH if has_filters(request) else limit
        )
        if score >= hubgate_settings["min_similarity"]
    ]
    if has_filters(request):
        # Nearest first, then the filters (one indexed query over those ids).
        allowed = set(
            filter_documents(
                SearchDocument.objects.filter(model_id__in=id_set([pk for pk, _ in nearest])),
                request,
            ).values_list("model_id", flat=True)
        )
        nearest = [(pk, score) for pk, score in nearest if pk in allowed]
    return [SearchMatch(pk, score, "semantic") for pk, score in nearest[:limit]]
