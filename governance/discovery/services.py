"""Keeping the search indexes in step with the catalog.

``index_model`` is idempotent and cheap when nothing changed; the signals in ``receivers``
enqueue it (after commit) whenever a model, one of its versions, its tags or its images
change. ``reindex_all`` rebuilds everything (``manage.py search --reindex``).
"""

from __future__ import annotations

import hashlib
import html
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.postgres.search import SearchVector
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils.html import strip_tags

from governance.accounts.models import User
from governance.audit import services as audit
from governance.catalog.models import Image, Model, ModelVersion

from . import embeddings, visual
from .filters import filter_fields
from .models import ImageHash, ModelEmbedding, SearchDocument

logger = logging.getLogger(__name__)

FTS_TABLE = "discovery_fts"
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class ReindexReport:
    documents: int
    embeddings: int
    image_hashes: int
    #: Why semantic indexing was skipped (the embedding model is missing), or "".
    semantic_skipped: str = ""


def _plain(text: str) -> str:
    return _SPACES.sub(" ", html.unescape(strip_tags(text or ""))).strip()


def _catalog_models(model_ids: Iterable[int] | None = None):
    qs = Model.objects.select_related("creator").prefetch_related("tags", "versions")
    return qs if model_ids is None else qs.filter(pk__in=list(model_ids))


def build_document(model: Model) -> SearchDocument:
    """The weighted text of ``model`` (expects creator, tags and versions prefetched)."""
    versions = list(model.versions.all())
    words: list[str] = []
    for version in versions:
        words.extend(str(w) for w in version.trained_words or [] if str(w) not in words)
    keywords = [tag.name for tag in model.tags.all()] + words
    facets = [model.creator.username if model.creator else "", model.get_type_display()]
    facets += sorted({v.base_model for v in versions if v.base_model})
    facets += [v.name for v in versions]
    body = [_plain(model.description)] + [_plain(v.description) for v in versions[:3]]
    return SearchDocument(
        model=model,
        name=model.name,
        keywords=", ".join(keywords),
        facets=" ".join(f for f in facets if f),
        body=" ".join(b for b in body if b),
    )


def _write_documents(docs: list[SearchDocument]) -> None:
    if not docs:
        return
    ids = [doc.model_id for doc in docs]
    # The filters' values travel with the text (same write, same transaction).
    fields = filter_fields(ids)
    for doc in docs:
        doc.filter_keys, doc.nsfw_level = fields.get(doc.model_id, ("", 0))
    SearchDocument.objects.bulk_create(
        docs,
        update_conflicts=True,
        unique_fields=["model"],
        update_fields=[
            "name",
            "keywords",
            "facets",
            "body",
            "filter_keys",
            "nsfw_level",
            "updated_at",
        ],
    )
    if connection.vendor == "postgresql":
        SearchDocument.objects.filter(pk__in=ids).update(
            vector=SearchVector("name", weight="A", config="english")
            + SearchVector("keywords", weight="B", config="english")
            + SearchVector("facets", weight="C", config="english")
            + SearchVector("body", weight="D", config="english")
        )
    elif connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            placeholders = ",".join("%s" for _ in ids)
            cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid IN ({placeholders})", ids)  # noqa: S608
            cursor.executemany(
                f"INSERT INTO {FTS_TABLE} (rowid, name, keywords, facets, body) "  # noqa: S608
                "VALUES (%s, %s, %s, %s, %s)",
                [(d.model_id, d.name, d.keywords, d.facets, d.body) for d in docs],
            )


def _write_embeddings(docs: list[SearchDocument]) -> int:
    """Embed the documents whose text changed; raises EmbeddingModelMissing without a model."""
    if not docs:
        return 0
    known = dict(
        ModelEmbedding.objects.filter(
            pk__in=[d.model_id for d in docs], encoder=embeddings.MODEL_NAME
        ).values_list("pk", "text_sha256")
    )
    todo = []
    for doc in docs:
        digest = hashlib.sha256(doc.text.encode()).hexdigest()
        if known.get(doc.model_id) != digest:
            todo.append((doc, digest))
    if not todo:
        return 0
    vectors = embeddings.embed([doc.text for doc, _ in todo])
    ModelEmbedding.objects.bulk_create(
        [
            ModelEmbedding(
                model_id=doc.model_id,
                encoder=embeddings.MODEL_NAME,
                text_sha256=digest,
                vector=vector.astype("float32").tobytes(),
            )
            for (doc, digest), vector in zip(todo, vectors, strict=True)
        ],
        update_conflicts=True,
        unique_fields=["model"],
        update_fields=["encoder", "text_sha256", "vector", "updated_at"],
    )
    return len(todo)


def _write_image_hashes(model_ids: list[int]) -> int:
    """Hash every preview image of these models that has a blurhash and no hash yet."""
    images = Image.objects.filter(version__model_id__in=model_ids, perceptual_hash__isnull=True)
    rows = []
    for image_id, model_id, blurhash in images.exclude(blurhash="").values_list(
        "pk", "version__model_id", "blurhash"
    ):
        try:
            value = visual.dhash_of_blurhash(blurhash)
        except ValueError as exc:
            logger.warning("Image %s has an invalid blurhash: %s", image_id, exc)
            continue
        rows.append(
            ImageHash(
                image_id=image_id,
                model_id=model_id,
                dhash=visual.to_signed(value),
                source="blurhash",
            )
        )
    ImageHash.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def index_models(
    model_ids: Iterable[int], *, semantic: bool = True, images: bool = True
) -> ReindexReport:
    """Bring every index of these models up to date; models that no longer exist are removed.

    ``semantic=False`` skips the sentence embeddings and ``images=False`` the preview hashes
    (decoding blurhashes): the import path writes only the cheap text document in its own
    transaction and leaves both to the task it enqueues after the commit."""
    ids = list(model_ids)
    models = list(_catalog_models(ids))
    docs = [build_document(m) for m in models]
    gone = set(ids) - {m.pk for m in models}
    with transaction.atomic():
        if gone:
            remove_models(gone)
        _write_documents(docs)
    hashed = _write_image_hashes([m.pk for m in models]) if images else 0
    skipped = ""
    embedded = 0
    if semantic:
        try:
            embedded = _write_embeddings(docs)
        except embeddings.EmbeddingModelMissing as exc:
            skipped = exc.detail
            logger.warning("Semantic index not updated: %s", exc.detail)
    return ReindexReport(len(docs), embedded, hashed, skipped)


def remove_models(model_ids: Iterable[int]) -> None:
    """Forget deleted models (the FTS5 table has no foreign key to cascade)."""
    ids = list(model_ids)
    SearchDocument.objects.filter(pk__in=ids).delete()
    if connection.vendor == "sqlite" and ids:
        with connection.cursor() as cursor:
            placeholders = ",".join("%s" for _ in ids)
            cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid IN ({placeholders})", ids)  # noqa: S608


def stale_model_ids(*, limit: int = 5000) -> list[int]:
    """Models whose search document is missing or older than the model or one of its versions
    (bulk imports write rows without signals; this finds what they changed)."""
    fresh = SearchDocument.objects.filter(model=OuterRef("pk"))
    newer_version = ModelVersion.objects.filter(
        model=OuterRef("pk"), updated_at__gt=OuterRef("search_document__updated_at")
    )
    stale = Model.objects.filter(
        ~Exists(fresh) | Q(updated_at__gt=F("search_document__updated_at")) | Exists(newer_version)
    )
    return list(stale.order_by("pk").values_list("pk", flat=True)[:limit])


def reindex_stale(*, batch_size: int = 500) -> int:
    """Index every stale model (see :func:`stale_model_ids`); returns how many."""
    ids = stale_model_ids()
    for start in range(0, len(ids), batch_size):
        index_models(ids[start : start + batch_size])
    return len(ids)


def reindex_all(
    *, actor: User | None = None, batch_size: int = 500, semantic: bool = True
) -> ReindexReport:
    """Rebuild every search index from the catalog, in batches; recorded in the audit log."""
    totals = [0, 0, 0]
    skipped = ""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {FTS_TABLE}")  # noqa: S608
    SearchDocument.objects.exclude(model__in=Model.objects.all()).delete()
    ids = list(Model.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), batch_size):
        report = index_models(ids[start : start + batch_size], semantic=semantic and not skipped)
        totals[0] += report.documents
        totals[1] += report.embeddings
        totals[2] += report.image_hashes
        skipped = skipped or report.semantic_skipped
    result = ReindexReport(*totals, semantic_skipped=skipped)
    audit.record(
        action="search.reindexed",
        actor=actor,
        object_type="discovery.index",
        object_id="all",
        object_repr="search indexes",
        after={
            "documents": result.documents,
            "embeddings": result.embeddings,
            "image_hashes": result.image_hashes,
            "semantic_skipped": result.semantic_skipped,
        },
    )
    return result
