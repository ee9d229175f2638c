import factory
from django.utils import timezone

from governance.community.models import (
    Collection,
    CollectionItem,
    Comment,
    Favorite,
    Review,
)
from tests.accounts.factories import UserFactory
from tests.catalog.factories import ModelFactory, ModelVersionFactory


class ReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Review

    user = factory.SubFactory(UserFactory)
    version = factory.SubFactory(ModelVersionFactory)
    model = factory.LazyAttribute(lambda r: r.version.model)
    rating = 4
    text = "Works well with the base model."
    created_at = factory.LazyFunction(timezone.now)
    updated_at = factory.LazyAttribute(lambda r: r.created_at)


class CommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Comment

    model = factory.SubFactory(ModelFactory)
    author = factory.SubFactory(UserFactory)
    text = "Which sampler did you use?"
    created_at = factory.LazyFunction(timezone.now)
    updated_at = factory.LazyAttribute(lambda c: c.created_at)


class FavoriteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Favorite

    user = factory.SubFactory(UserFactory)
    model = factory.SubFactory(ModelFactory)
    created_at = factory.LazyFunction(timezone.now)


class CollectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Collection

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Collection {n}")
    visibility = Collection.Visibility.PRIVATE


class CollectionItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CollectionItem

    collection = factory.SubFactory(CollectionFactory)
    model = factory.SubFactory(ModelFactory)
    position = factory.Sequence(int)
    added_at = factory.LazyFunction(timezone.now)
