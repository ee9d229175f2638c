"""Search indexes are derived data: each factory indexes a catalog model through
``index_models`` (as the re-index task does) and returns the row it wrote."""

import factory

from governance.discovery.models import ImageHash, ModelEmbedding, SearchDocument
from governance.discovery.services import index_models
from tests.catalog.factories import ImageFactory, ModelFactory

#: The blurhash of the reference image in the blurhash specification.
BLURHASH = "LEHV6nWB2yk8pyo0adR*.7kCMdnj"


class _IndexedFactory(factory.django.DjangoModelFactory):
    class Meta:
        abstract = True

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        raise TypeError(f"{model_class.__name__} is derived: create it, it is indexed for you")


class SearchDocumentFactory(_IndexedFactory):
    """The text document (and, on SQLite, its FTS5 row) of a catalog model."""

    class Meta:
        model = SearchDocument

    model = factory.SubFactory(ModelFactory)

    @classmethod
    def _create(cls, model_class, *, model):
        index_models([model.pk], semantic=False, images=False)
        return SearchDocument.objects.get(model=model)


class ModelEmbeddingFactory(_IndexedFactory):
    """The sentence embedding of a catalog model (needs the MiniLM model files)."""

    class Meta:
        model = ModelEmbedding

    model = factory.SubFactory(ModelFactory)

    @classmethod
    def _create(cls, model_class, *, model):
        report = index_models([model.pk], images=False)
        if report.semantic_skipped:
            raise RuntimeError(f"No embedding without the encoder: {report.semantic_skipped}")
        return ModelEmbedding.objects.get(model=model)


class ImageHashFactory(_IndexedFactory):
    """The perceptual hash of a preview image, decoded from its blurhash."""

    class Meta:
        model = ImageHash

    image = factory.SubFactory(ImageFactory, blurhash=BLURHASH)

    @classmethod
    def _create(cls, model_class, *, image):
        index_models([image.version.model_id], semantic=False)
        return ImageHash.objects.get(image=image)
