import numpy as np
import pytest

from governance.catalog.models import Model
from governance.discovery.selectors import filter_by_query
from tests.catalog.factories import ModelFactory
from tests.discovery.factories import (
    ImageHashFactory,
    ModelEmbeddingFactory,
    SearchDocumentFactory,
)

pytestmark = pytest.mark.django_db


def test_a_search_document_is_the_indexed_text_of_its_model():
    document = SearchDocumentFactory(model=ModelFactory(name="Lumen Photoreal", tags=["portrait"]))
    # ``vector`` is NULL outside PostgreSQL, but the field is not ``blank=True``.
    document.full_clean(exclude=["vector"])
    assert document.name == "Lumen Photoreal" and "portrait" in document.keywords
    assert list(filter_by_query(Model.objects.all(), "lumen")) == [document.model]


def test_an_image_hash_comes_from_the_images_blurhash():
    image_hash = ImageHashFactory()
    image_hash.full_clean()
    assert image_hash.source == "blurhash"
    assert image_hash.model == image_hash.image.version.model


def test_a_model_embedding_is_a_unit_vector_of_its_models_text():
    embedding = ModelEmbeddingFactory()
    embedding.full_clean()
    assert np.isclose(np.linalg.norm(embedding.as_array()), 1.0, atol=1e-3)
