"""A private or team collection, a team-private model's reviews and comments: invisible to
those who may not see them in pages, htmx fragments, the REST API and its search."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from governance.catalog.models import Visibility
from governance.community import services
from governance.community.models import Collection
from tests.accounts.factories import MembershipFactory, TeamFactory, UserFactory
from tests.catalog.factories import ModelFactory, ModelVersionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def teams():
    a, b = TeamFactory(slug="team-a"), TeamFactory(slug="team-b")
    alice = MembershipFactory(team=a).user
    anna = MembershipFactory(team=a).user
    bob = MembershipFactory(team=b).user
    return {"a": a, "b": b, "alice": alice, "anna": anna, "bob": bob}


def _web(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize("visibility", ["private", "team"])
def test_a_collection_of_team_a_is_invisible_to_team_b_everywhere(teams, visibility):
    model = ModelFactory(name="Secret sauce")
    collection = services.create_collection(
        owner=teams["alice"],
        name="Team A picks zebra",
        visibility=visibility,
        team=teams["a"] if visibility == "team" else None,
    )
    services.add_to_collection(user=teams["alice"], collection=collection, model=model)
    bob_web, bob_api = _web(teams["bob"]), _api(teams["bob"])
    urls = [f"/community/collections/{collection.pk}/", f"/community/s/{collection.share_token}/"]
    for url in urls:
        assert bob_web.get(url).status_code == 404
        assert bob_web.get(url, HTTP_HX_REQUEST="true").status_code == 404
    listing = bob_web.get("/community/collections/")
    assert b"zebra" not in listing.content
    api = bob_api.get("/api/community/collections/", {"search": "zebra"})
    assert api.status_code == 200 and api.json()["count"] == 0
    assert bob_api.get(f"/api/community/collections/{collection.pk}/").status_code == 404
    assert bob_api.get(f"/api/community/collections/{collection.pk}/items/").status_code == 404
    # Bob cannot add to it either, nor re-share it.
    bob_add = bob_api.post(
        f"/api/community/collections/{collection.pk}/items/", {"model": model.pk}
    )
    assert bob_add.status_code == 404
    assert bob_add["Content-Type"].startswith("application/problem+json")
    # Alice's teammate sees a team collection, not a private one.
    anna_status = _web(teams["anna"]).get(urls[1]).status_code
    assert anna_status == (200 if visibility == "team" else 404)
    # Alice always sees her own, through the link too.
    page = _web(teams["alice"]).get(urls[1])
    assert page.status_code == 200 and b"Secret sauce" in page.content


def test_a_company_collection_shows_only_the_models_each_viewer_may_see(teams):
    private = ModelFactory(name="Team A only", visibility=Visibility.TEAM, owning_team=teams["a"])
    from guardian.shortcuts import assign_perm

    assign_perm("catalog.view_model", teams["a"].group, private)
    public = ModelFactory(name="Everyone's")
    collection = services.create_collection(
        owner=teams["alice"], name="Mixed", visibility=Collection.Visibility.COMPANY
    )
    for model in (private, public):
        services.add_to_collection(user=teams["alice"], collection=collection, model=model)
    page = _web(teams["bob"]).get(f"/community/collections/{collection.pk}/")
    assert page.status_code == 200
    assert b"Everyone&#x27;s" in page.content and b"Team A only" not in page.content
    items = _api(teams["bob"]).get(f"/api/community/collections/{collection.pk}/items/").json()
    assert [i["model"] for i in items] == [public.pk]


def test_only_its_owner_changes_a_collection(teams):
    collection = services.create_collection(
        owner=teams["alice"], name="Ours", visibility="team", team=teams["a"]
    )
    anna = _api(teams["anna"])
    response = anna.patch(f"/api/community/collections/{collection.pk}/", {"name": "Mine now"})
    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/problem+json")
    response = anna.post(
        f"/api/community/collections/{collection.pk}/items/", {"model": ModelFactory().pk}
    )
    assert response.status_code == 403


def test_nobody_shares_a_collection_with_a_team_they_are_not_in(teams):
    response = _api(teams["alice"]).post(
        "/api/community/collections/",
        {"name": "x", "visibility": "team", "team": "team-b"},
        format="json",
    )
    assert response.status_code == 400


def test_reviews_and_comments_of_a_team_private_model_stay_inside(teams):
    from guardian.shortcuts import assign_perm

    model = ModelFactory(visibility=Visibility.TEAM, owning_team=teams["a"])
    assign_perm("catalog.view_model", teams["a"].group, model)
    version = ModelVersionFactory(model=model)
    services.write_review(user=teams["alice"], version=version, rating=5, text="Internal gem")
    services.post_comment(user=teams["alice"], model=model, text="Internal chat")
    bob_web, bob_api = _web(teams["bob"]), _api(teams["bob"])
    assert bob_web.get(f"/community/models/{model.pk}/").status_code == 404
    assert bob_api.get("/api/community/reviews/", {"model": model.pk}).json()["count"] == 0
    assert bob_api.get("/api/community/comments/", {"model": model.pk}).json()["count"] == 0
    assert bob_api.get(f"/api/community/models/{model.pk}/summary/").status_code == 404
    panel = bob_web.get("/community/")
    assert b"Internal chat" not in panel.content
    assert bob_web.post(f"/community/models/{model.pk}/favorite/").status_code == 404
    anna = _api(teams["anna"])
    assert anna.get("/api/community/reviews/", {"model": model.pk}).json()["count"] == 1


def test_the_moderation_queue_is_for_moderators_only(teams):
    services.post_comment(user=teams["alice"], model=ModelFactory(), text="you are a fucking idiot")
    assert _web(teams["bob"]).get("/community/moderation/").status_code == 404
    assert _api(teams["bob"]).get("/api/community/moderation/").status_code == 404
    staff = UserFactory(is_staff=True)
    page = _web(staff).get("/community/moderation/")
    assert page.status_code == 200 and b"fucking idiot" in page.content


def test_a_teams_dashboard_is_for_its_members(teams):
    assert _web(teams["bob"]).get("/community/analytics/team/team-a/").status_code == 404
    assert _api(teams["bob"]).get("/api/usage/analytics/", {"team": "team-a"}).status_code == 404
    assert _web(teams["alice"]).get("/community/analytics/team/team-a/").status_code == 200
