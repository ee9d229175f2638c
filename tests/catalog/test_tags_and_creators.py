"""Tags and creators list and count only what the caller may see."""

import pytest
from rest_framework.test import APIClient

from governance.catalog.models import Visibility
from tests.accounts.factories import MembershipFactory, UserFactory
from tests.catalog.factories import CreatorFactory, ModelFactory

pytestmark = pytest.mark.django_db


def _names(client: APIClient, path: str, key: str) -> set[str]:
    response = client.get(path, {"page_size": 100})
    assert response.status_code == 200, response.content
    body = response.json()
    return {row[key] for row in body.get("results", body)}


def test_a_tag_and_creator_used_only_on_a_private_model_are_not_listed_to_outsiders() -> None:
    owner = MembershipFactory().user
    ModelFactory(
        owning_team=owner.teams.get(),
        visibility=Visibility.TEAM,
        creator=CreatorFactory(username="secret-lab"),
        tags=["project-nightingale"],
    )
    ModelFactory(creator=CreatorFactory(username="public-artist"), tags=["anime"])
    outsider = APIClient()
    outsider.force_authenticate(UserFactory())
    assert _names(outsider, "/api/tags/", "name") == {"anime"}
    assert _names(outsider, "/api/creators/", "username") == {"public-artist"}
    insider = APIClient()
    insider.force_authenticate(owner)
    assert "project-nightingale" in _names(insider, "/api/tags/", "name")
    assert "secret-lab" in _names(insider, "/api/creators/", "username")
