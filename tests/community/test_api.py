"""Community API answers found by the schema fuzzer: every error is a problem document the
schema documents (tests/api/test_schemathesis.py)."""

import pytest

from governance.catalog.models import Visibility
from governance.community import services
from governance.community.models import Favorite
from tests.accounts.factories import TeamFactory, UserFactory
from tests.api.conftest import assert_problem, documented_problems, session
from tests.catalog.factories import ModelFactory, ModelVersionFactory
from tests.community.factories import CommentFactory

pytestmark = pytest.mark.django_db

UNKNOWN = 987_654


@pytest.mark.parametrize("model", ["null,null", "abc", "-1", "1.5"])
def test_unfavoriting_a_malformed_model_id_is_a_404_problem_not_a_crash(user, model):
    favorite = ModelFactory()
    services.set_favorite(user=user, model=favorite, favorite=True)
    assert_problem(session(user).delete(f"/api/community/favorites/{model}/"), 404, "not_found")
    assert Favorite.objects.filter(user=user, model=favorite).exists()
    assert "404" in documented_problems("/api/community/favorites/{model}/", "delete")


def test_unfavoriting_by_model_id_still_works_and_an_unknown_id_is_404(user):
    model = ModelFactory()
    services.set_favorite(user=user, model=model, favorite=True)
    client = session(user)
    assert client.delete(f"/api/community/favorites/{model.pk}/").status_code == 204
    assert not Favorite.objects.filter(user=user, model=model).exists()
    assert_problem(client.delete(f"/api/community/favorites/{UNKNOWN}/"), 404, "not_found")


@pytest.mark.parametrize(
    "path, body",
    [
        ("reviews", {"version": UNKNOWN, "rating": 5, "text": "Great."}),
        ("comments", {"model": UNKNOWN, "text": "Which sampler?"}),
        ("favorites", {"model": UNKNOWN}),
        ("follows", {"model": UNKNOWN}),
        ("follows", {"creator": "nobody-at-all"}),
        ("follows", {"tag": "no-such-tag"}),
    ],
)
def test_naming_what_you_may_not_see_is_a_documented_404(user, path, body):
    assert_problem(session(user).post(f"/api/community/{path}/", body, format="json"), 404)
    assert documented_problems(f"/api/community/{path}/", "post")["404"] == "NotFound"


def test_a_private_model_is_a_404_too_not_a_hint_that_it_exists(user):
    private = ModelVersionFactory(
        model=ModelFactory(visibility=Visibility.TEAM, owning_team=TeamFactory())
    )
    client = session(user)
    body = {"version": private.pk, "rating": 1, "text": "x"}
    assert_problem(client.post("/api/community/reviews/", body, format="json"), 404)
    body = {"model": private.model_id, "text": "x"}
    assert_problem(client.post("/api/community/comments/", body, format="json"), 404)


def test_the_moderation_queue_is_a_documented_404_for_non_moderators(user):
    assert_problem(session(user).get("/api/community/moderation/"), 404, "not_found")
    assert documented_problems("/api/community/moderation/", "get")["404"] == "NotFound"
    staff = UserFactory(is_staff=True)
    assert session(staff).get("/api/community/moderation/").status_code == 200


def test_a_moderation_decision_on_an_unknown_text_is_a_documented_404(user):
    moderator = UserFactory(is_staff=True)
    client = session(moderator)
    decision = {"target": "comment", "id": UNKNOWN, "action": "hide"}
    assert_problem(client.post("/api/community/moderation/", decision, format="json"), 404)
    assert_problem(
        session(user).post(
            "/api/community/moderation/",
            {**decision, "id": CommentFactory().pk},
            format="json",
        ),
        404,
    )
    assert documented_problems("/api/community/moderation/", "post")["404"] == "NotFound"
