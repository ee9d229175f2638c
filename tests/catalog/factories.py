import hashlib

import factory

from governance.catalog.models import (
    Creator,
    Hub,
    Image,
    Model,
    ModelFile,
    ModelType,
    ModelVersion,
    Tag,
)
from governance.catalog.services import grant_owning_team


class CreatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Creator
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"creator{n}")


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"tag{n}")


class ModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Model
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Model {n}")
    description = "<p>A test model.</p>"
    type = ModelType.LORA
    creator = factory.SubFactory(CreatorFactory)
    hub = Hub.CIVITAI
    external_id = factory.Sequence(lambda n: str(10_000 + n))

    @factory.post_generation
    def tags(self, create, extracted, **kwargs):
        if create and extracted:
            self.tags.set([TagFactory(name=name) for name in extracted])

    @factory.post_generation
    def owner_grant(self, create, extracted, **kwargs):
        # As the import service does: the owning team sees its model.
        if create:
            grant_owning_team(model=self)


class ModelVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ModelVersion

    model = factory.SubFactory(ModelFactory)
    name = factory.Sequence(lambda n: f"v{n}")
    base_model = "SDXL 1.0"
    hub = Hub.CIVITAI
    external_id = factory.Sequence(lambda n: str(500_000 + n))


class ModelFileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ModelFile

    version = factory.SubFactory(ModelVersionFactory)
    name = factory.Sequence(lambda n: f"file{n}.safetensors")
    primary = True
    format = "SafeTensor"
    size_kb = 1024.0
    hub = Hub.CIVITAI
    external_id = factory.Sequence(lambda n: str(900_000 + n))
    sha256 = factory.Sequence(lambda n: hashlib.sha256(str(n).encode()).hexdigest().upper())
    autov2 = factory.LazyAttribute(lambda f: f.sha256[:10])


class ImageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Image

    version = factory.SubFactory(ModelVersionFactory)
    url = factory.Sequence(lambda n: f"https://image.example.com/{n}.jpeg")
