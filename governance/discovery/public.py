"""The public API of discovery for search backends (plugins serving ``hubgate_search_models``).

Plugins import only :mod:`governance.hookspecs`, with this one documented exception: a search
backend queries the search index that discovery owns, so it needs the index itself and the
helpers that keep a backend's query consistent with the search service's. Exactly these names
are public and keep their meaning; everything else in ``governance.discovery`` is private and
may move. The search service filters every backend's answer again with the user's
visibility, so nothing here can reveal a model to someone who may not see it.

* :class:`SearchDocument` — the search index, one row per model (``model_id``, ``name``,
  ``vector`` on PostgreSQL; the ``discovery_fts`` FTS5 table mirrors it on SQLite, rowid =
  ``model_id``).
* :func:`filter_documents` — a search request's filters applied to a queryset of
  search documents.
* :func:`has_filters` — whether a request has any filter.
* :func:`id_set` — a list of model ids as an ``IN`` operand that stays one parameter however
  long the list.
* :func:`nearest_models` — ``(model_id, cosine)`` of the stored embeddings nearest a vector.
* :func:`embed` — texts embedded with the installed sentence-embedding model; raises
  :class:`EmbeddingModelMissing` when none is installed (a backend then abstains).
"""

from governance.discovery.embeddings import EmbeddingModelMissing, embed
from governance.discovery.filters import filter_documents
from governance.discovery.models import SearchDocument
from governance.discovery.selectors import has_filters, id_set, nearest_models

__all__ = [
    "EmbeddingModelMissing",
    "SearchDocument",
    "embed",
    "filter_documents",
    "has_filters",
    "id_set",
    "nearest_models",
]
