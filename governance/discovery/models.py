"""Search indexes of the catalog: text documents, sentence embeddings, image hashes.

Derived data only: everything here can be rebuilt from the catalog with
``manage.py search --reindex``. On PostgreSQL ``SearchDocument.vector`` is a weighted
``tsvector`` with a GIN index and ``name`` has a trigram index (migration 0002); on SQLite the
same text feeds the FTS5 table ``discovery_fts`` (migration 0002 too).
"""

from __future__ import annotations

import numpy as np
from django.contrib.postgres.search import SearchVectorField
from django.db import models


class SearchDocument(models.Model):
    """The searchable text of one catalog model, split by weight."""

    model = models.OneToOneField(
        "catalog.Model", on_delete=models.CASCADE, primary_key=True, related_name="search_document"
    )
    #: Weight A: the model's name.
    name = models.TextField()
    #: Weight B: tags and trained (trigger) words.
    keywords = models.TextField(blank=True)
    #: Weight C: creator, type, base models, version names.
    facets = models.TextField(blank=True)
    #: Weight D: model and version descriptions, as plain text.
    body = models.TextField(blank=True)
    #: PostgreSQL only (NULL on SQLite, where FTS5 holds the index).
    vector = SearchVectorField(null=True)
    #: The search filters' values, denormalised so the text match and the filters are one
    #: indexed scan of this table: space-separated ``kind:value`` keys (see
    #: ``governance.discovery.filters``). On PostgreSQL ``string_to_array(filter_keys, ' ')``
    #: shares one multicolumn GIN index with ``vector`` and ``nsfw_level`` (migration 0004).
    filter_keys = models.TextField(blank=True, default="")
    #: The model's NSFW level (a range filter, so a column rather than a key).
    nsfw_level = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.name

    @property
    def text(self) -> str:
        """Everything, in weight order: what the sentence embedding reads."""
        return " ".join(p for p in (self.name, self.keywords, self.facets, self.body) if p)


class ModelEmbedding(models.Model):
    """A sentence embedding of one model's text (float32, L2-normalised)."""

    model = models.OneToOneField(
        "catalog.Model", on_delete=models.CASCADE, primary_key=True, related_name="embedding"
    )
    encoder = models.CharField(max_length=100)
    #: SHA-256 of the text embedded, so an unchanged model is not embedded again.
    text_sha256 = models.CharField(max_length=64)
    vector = models.BinaryField()
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    def __str__(self) -> str:
        return f"embedding of model {self.model_id}"

    def as_array(self) -> np.ndarray:
        return np.frombuffer(bytes(self.vector), dtype=np.float32)


class ImageHash(models.Model):
    """A 64-bit perceptual hash (dHash) of one preview image, for "looks like this" search."""

    image = models.OneToOneField(
        "catalog.Image", on_delete=models.CASCADE, primary_key=True, related_name="perceptual_hash"
    )
    model = models.ForeignKey(
        "catalog.Model", on_delete=models.CASCADE, related_name="image_hashes"
    )
    #: The hash as a signed 64-bit integer (what the database stores natively).
    dhash = models.BigIntegerField()
    #: Where the pixels came from: ``"file"`` (a stored preview) or ``"blurhash"`` (decoded).
    source = models.CharField(max_length=16)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["model"])]

    def __str__(self) -> str:
        return f"{self.dhash & 0xFFFFFFFFFFFFFFFF:016x}"
