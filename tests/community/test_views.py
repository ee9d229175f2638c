"""The community fragments, with htmx and without JavaScript."""

import pytest
from django.test import Client

from governance.community.models import Collection, Comment, ContentStatus, Review
from tests.accounts.factories import MembershipFactory, UserFactory
from tests.catalog.factories import ModelFactory, ModelVersionFactory

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def web(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_model_block_is_a_fragment_for_htmx_and_a_page_without_it(web):
    model = ModelVersionFactory().model
    fragment = web.get(f"/community/models/{model.pk}/", **HX)
    page = web.get(f"/community/models/{model.pk}/")
    assert fragment.status_code == page.status_code == 200
    assert b"<html" not in fragment.content and b"<html" in page.content
    assert b'class="community-block"' in fragment.content
    assert b'<label for="rv-text-' in fragment.content  # labelled form controls


def test_a_user_reviews_a_model_with_htmx_and_sees_rating_and_sentiment(web, user):
    version = ModelVersionFactory()
    response = web.post(
        f"/community/models/{version.model_id}/reviews/",
        {"version": version.pk, "rating": 5, "text": "Fantastic detail, love it."},
        **HX,
    )
    assert response.status_code == 200
    assert b"<strong>5.0</strong> / 5 from 1 review" in response.content
    assert b"mostly positive" in response.content
    assert Review.objects.get(user=user).rating == 5


def test_without_javascript_a_review_redirects_back(web):
    version = ModelVersionFactory()
    response = web.post(
        f"/community/models/{version.model_id}/reviews/",
        {"version": version.pk, "rating": 3, "text": "ok"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/community/models/{version.model_id}/"


def test_an_invalid_review_shows_the_error_and_keeps_the_text(web):
    version = ModelVersionFactory()
    response = web.post(
        f"/community/models/{version.model_id}/reviews/",
        {"version": version.pk, "rating": 9, "text": "keep me"},
        **HX,
    )
    assert response.status_code == 400
    assert b'role="alert"' in response.content and b"keep me" in response.content


def test_a_toxic_comment_is_held_and_the_author_is_told(web, user):
    model = ModelFactory()
    response = web.post(
        f"/community/models/{model.pk}/comments/", {"text": "The author is a fucking moron"}, **HX
    )
    assert response.status_code == 200
    assert b"Waiting for a moderator" in response.content
    assert Comment.objects.get().status == ContentStatus.HELD
    other = Client()
    other.force_login(UserFactory())
    assert b"fucking" not in other.get(f"/community/models/{model.pk}/").content


def test_open_redirects_are_refused(web):
    model = ModelFactory()
    response = web.post(
        f"/community/models/{model.pk}/comments/", {"text": "Nice", "next": "https://evil.example/"}
    )
    assert response["Location"] == f"/community/models/{model.pk}/"


def test_favorite_and_follow_buttons_toggle(web, user):
    model = ModelFactory()
    on = web.post(f"/community/models/{model.pk}/favorite/", **HX)
    assert b'aria-pressed="true"' in on.content and user.favorites.count() == 1
    off = web.post(f"/community/models/{model.pk}/favorite/", **HX)
    assert b'aria-pressed="false"' in off.content and user.favorites.count() == 0
    followed = web.post("/community/follow/", {"model": model.pk}, **HX)
    assert b"Following" in followed.content and user.follows.count() == 1
    assert b"favorites" in web.get("/community/favorites/").content.lower()


def test_collections_are_created_ordered_annotated_and_shared(web, user):
    team = MembershipFactory(user=user).team
    response = web.post(
        "/community/collections/", {"name": "Inking", "visibility": "team", "team": team.slug}
    )
    assert response.status_code == 302
    collection = Collection.objects.get(owner=user)
    first, second = ModelVersionFactory().model, ModelVersionFactory().model
    for model in (first, second):
        web.post(
            f"/community/collections/{collection.pk}/",
            {"op": "add", "model": model.pk, "note": f"for {model.name}"},
        )
    item = collection.items.get(model=second)
    web.post(f"/community/collections/{collection.pk}/", {"op": "up", "item": item.pk})
    assert list(collection.items.values_list("model_id", flat=True)) == [second.pk, first.pk]
    page = web.get(f"/community/collections/{collection.pk}/")
    assert f"for {first.name}".encode() in page.content
    assert f"/community/s/{collection.share_token}/".encode() in page.content
    mate = Client()
    mate.force_login(MembershipFactory(team=team).user)
    shared = mate.get(f"/community/s/{collection.share_token}/")
    assert shared.status_code == 200 and b"Remove" not in shared.content


def test_a_model_leaving_approval_shows_as_such_in_a_collection(web, user):
    from governance.catalog.models import VersionState

    version = ModelVersionFactory(state=VersionState.APPROVED)
    collection = Collection.objects.create(owner=user, name="Picks")
    web.post(f"/community/collections/{collection.pk}/", {"op": "add", "model": version.model_id})
    assert b"No longer approved" not in web.get(f"/community/collections/{collection.pk}/").content
    version.state = VersionState.QUARANTINED
    version.save()
    page = web.get(f"/community/collections/{collection.pk}/")
    assert b"No longer approved: no approved version" in page.content


def test_the_community_panel_and_review_history_render(web, user):
    version = ModelVersionFactory()
    web.post(f"/community/models/{version.model_id}/comments/", {"text": "Anyone tried v2?"})
    web.post(
        f"/community/models/{version.model_id}/reviews/",
        {"version": version.pk, "rating": 2, "text": "Meh"},
    )
    web.post(
        f"/community/models/{version.model_id}/reviews/",
        {"version": version.pk, "rating": 4, "text": "Better after update"},
    )
    panel = web.get("/community/", {"trend": "rising"}, **HX)
    assert panel.status_code == 200 and b"Anyone tried v2?" in panel.content
    review = Review.objects.get()
    history = web.get(f"/community/reviews/{review.pk}/history/")
    assert b"Meh" in history.content and b"Better after update" in history.content


def test_a_moderator_publishes_a_held_comment_from_the_queue(client):
    comment_author = UserFactory()
    model = ModelFactory()
    author = Client()
    author.force_login(comment_author)
    author.post(f"/community/models/{model.pk}/comments/", {"text": "shit happens, great model"})
    comment = Comment.objects.get()
    client.force_login(UserFactory(is_staff=True))
    response = client.post(
        "/community/moderation/",
        {"target": "comment", "id": comment.pk, "action": "restore", "reason": "idiom"},
    )
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.status == ContentStatus.VISIBLE


def test_anonymous_people_are_sent_to_sign_in(client):
    assert client.get("/community/").status_code == 302


def test_a_reader_reports_a_review_from_the_block(web):
    from governance.community.models import Report
    from governance.community.services import write_review

    version = ModelVersionFactory()
    review = write_review(user=UserFactory(), version=version, rating=1, text="Buy mine instead")
    block = web.get(f"/community/models/{version.model_id}/", **HX)
    assert f'action="/community/report/review/{review.pk}/"'.encode() in block.content
    response = web.post(f"/community/report/review/{review.pk}/", {"reason": "advert"}, **HX)
    assert response.status_code == 200
    assert Report.objects.get().review_id == review.pk
