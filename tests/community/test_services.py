"""Reviews, comments, votes, favorites, follows, reports and moderation, through services."""

import pytest
from django.core import mail
from guardian.shortcuts import assign_perm

from governance.audit.models import AuditEntry
from governance.catalog.models import Visibility
from governance.catalog.services import import_civitai_model
from governance.community import selectors, services
from governance.community.models import ContentStatus, Report
from governance.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from governance.hookspecs import ModerationVerdict, hookimpl
from tests.accounts.factories import MembershipFactory, UserFactory
from tests.catalog.documents import civitai_document
from tests.catalog.factories import ModelFactory, ModelVersionFactory

pytestmark = pytest.mark.django_db

TOXIC = "This LoRA is shit and the author is a fucking moron."


def test_a_user_reviews_and_rates_a_version():
    services.write_review(user=UserFactory(), version=ModelVersionFactory(), rating=2)
    version = ModelVersionFactory()
    user = UserFactory()
    review = services.write_review(
        user=user, version=version, rating=5, text="Great model, clean hands and faces."
    )
    assert review.status == ContentStatus.VISIBLE
    assert review.sentiment is not None and review.sentiment > 0
    summary = selectors.rating_summary(version.model)
    assert summary.count == 1 and summary.mean == 5.0
    # Pulled toward the site-wide mean of 3.5 by five phantom average votes.
    assert summary.bayesian == round((5 * 3.5 + 5) / 6, 2)


def test_editing_a_review_keeps_its_history():
    version = ModelVersionFactory()
    user = UserFactory()
    first = services.write_review(user=user, version=version, rating=2, text="Blurry.")
    again = services.write_review(user=user, version=version, rating=4, text="Fixed in v2.")
    assert again.pk == first.pk
    history = selectors.review_history(again)
    assert [(r.rating, r.text) for r in history] == [(2, "Blurry.")]
    services.write_review(user=user, version=version, rating=4, text="Fixed in v2.")
    assert len(selectors.review_history(again)) == 1  # no change, no revision


@pytest.mark.parametrize("rating", [0, 6, "5", True, None])
def test_a_rating_is_a_whole_number_from_1_to_5(rating):
    with pytest.raises(ValidationFailed):
        services.write_review(user=UserFactory(), version=ModelVersionFactory(), rating=rating)


def test_a_toxic_comment_is_held_for_a_moderator_and_audited():
    model = ModelFactory()
    author = UserFactory()
    comment = services.post_comment(user=author, model=model, text=TOXIC)
    assert comment.status == ContentStatus.HELD
    assert any("offensive" in r for r in comment.moderation_reasons)
    assert AuditEntry.objects.filter(action="comment.held", object_id=str(comment.pk)).exists()
    stranger = UserFactory()
    assert selectors.comments_of_model(model, stranger) == []
    assert [c.pk for c in selectors.comments_of_model(model, author)] == [comment.pk]
    moderator = UserFactory(is_staff=True)
    assert comment in selectors.moderation_queue(moderator)["comments"]
    assert selectors.moderation_queue(stranger)["comments"] == []


def test_a_moderator_restores_or_hides_and_every_decision_is_audited():
    model = ModelFactory()
    comment = services.post_comment(user=UserFactory(), model=model, text=TOXIC)
    moderator = UserFactory()
    with pytest.raises(PermissionDenied):
        services.moderate_content(moderator=moderator, target=comment, action="restore")
    assign_perm("community.moderate_content", moderator)
    moderator = type(moderator).objects.get(pk=moderator.pk)  # fresh permission cache
    services.moderate_content(moderator=moderator, target=comment, action="restore")
    assert [c.pk for c in selectors.comments_of_model(model, UserFactory())] == [comment.pk]
    services.moderate_content(moderator=moderator, target=comment, action="hide", reason="abuse")
    assert selectors.comments_of_model(model, UserFactory()) == []
    actions = list(
        AuditEntry.objects.filter(
            object_id=str(comment.pk), object_type="community.comment"
        ).values_list("action", flat=True)
    )
    assert {"comment.held", "comment.restored", "comment.hidden"} <= set(actions)


def test_a_moderation_plugin_that_fails_holds_the_text(plugin):
    class Broken:
        @hookimpl
        def hubgate_moderate_text(self, text):
            raise RuntimeError("classifier missing")

    plugin(Broken(), name="broken_moderation")
    comment = services.post_comment(user=UserFactory(), model=ModelFactory(), text="Nice one")
    assert comment.status == ContentStatus.HELD
    assert "broken_moderation could not check it" in comment.moderation_reasons


def test_hook_hubgate_moderate_text(plugin):
    seen = []

    class Strict:
        @hookimpl
        def hubgate_moderate_text(self, text):
            seen.append((text.kind, text.text))
            if "buy" in text.text:
                return ModerationVerdict(action="hold", reasons=("sales",), spam=0.9)
            return None

    plugin(Strict(), name="strict")
    model = ModelFactory()
    held = services.post_comment(user=UserFactory(), model=model, text="buy my prompts")
    fine = services.post_comment(user=UserFactory(), model=model, text="lovely colors")
    assert held.status == ContentStatus.HELD and "strict: sales" in held.moderation_reasons
    assert fine.status == ContentStatus.VISIBLE
    assert ("comment", "buy my prompts") in seen


def test_reports_reach_the_queue_and_close_when_a_moderator_decides():
    review = services.write_review(
        user=UserFactory(), version=ModelVersionFactory(), rating=1, text="Meh."
    )
    reporter = UserFactory()
    report = services.report_content(reporter=reporter, review=review, reason="off-topic")
    with pytest.raises(Conflict):
        services.report_content(reporter=reporter, review=review, reason="again")
    moderator = UserFactory(is_staff=True)
    assert report in selectors.moderation_queue(moderator)["reports"]
    services.moderate_content(moderator=moderator, target=review, action="hide")
    report.refresh_from_db()
    assert report.status == Report.Status.RESOLVED and report.resolution == "hidden"


def test_helpful_votes_count_once_and_build_reputation():
    author = UserFactory()
    review = services.write_review(
        user=author, version=ModelVersionFactory(), rating=4, text="x" * 80
    )
    with pytest.raises(PermissionDenied):
        services.vote_review(user=author, review=review, helpful=True)
    voters = [UserFactory() for _ in range(3)]
    for voter in voters:
        services.vote_review(user=voter, review=review, helpful=True)
    services.vote_review(user=voters[0], review=review, helpful=True)
    services.vote_review(user=voters[1], review=review, helpful=False)
    review.refresh_from_db()
    assert (review.helpful_count, review.unhelpful_count) == (2, 1)
    assert selectors.reputation([author.pk])[author.pk] == 2 * 2 - 1 + 1


def test_private_models_cannot_be_reviewed_commented_or_favorited_by_outsiders():
    owner = MembershipFactory().team
    model = ModelFactory(visibility=Visibility.TEAM, owning_team=owner)
    version = ModelVersionFactory(model=model)
    outsider = UserFactory()
    with pytest.raises(NotFound):
        services.write_review(user=outsider, version=version, rating=5)
    with pytest.raises(NotFound):
        services.post_comment(user=outsider, model=model, text="hi")
    with pytest.raises(NotFound):
        services.set_favorite(user=outsider, model=model, favorite=True)
    with pytest.raises(NotFound):
        services.follow(user=outsider, model=model)


def test_threaded_comments_come_back_as_threads():
    model = ModelFactory()
    root = services.post_comment(user=UserFactory(), model=model, text="Which VAE?")
    reply = services.post_comment(
        user=UserFactory(), model=model, text="The SDXL one.", parent=root
    )
    deeper = services.post_comment(user=UserFactory(), model=model, text="Thanks!", parent=reply)
    threads = selectors.comments_of_model(model, UserFactory())
    assert [c.pk for c in threads] == [root.pk]
    assert [(c.pk, c.depth) for c in threads[0].thread_replies] == [(reply.pk, 1), (deeper.pk, 2)]


def test_followers_are_emailed_a_new_version(django_capture_on_commit_callbacks):
    document = civitai_document()
    model = import_civitai_model(document=document).model
    tag = model.tags.first()
    by_model, by_tag, by_creator = UserFactory(), UserFactory(), UserFactory()
    services.follow(user=by_model, model=model)
    services.follow(user=by_tag, tag=tag)
    services.follow(user=by_creator, creator=model.creator)
    document["modelVersions"].insert(
        0, {"id": 140000, "name": "v3.0", "baseModel": "SDXL 1.0", "files": [], "images": []}
    )
    with django_capture_on_commit_callbacks(execute=True):
        import_civitai_model(document=document)  # a sync that brings a new version
    recipients = sorted(address for m in mail.outbox for address in m.to)
    assert recipients == sorted(u.email for u in (by_model, by_tag, by_creator))
    assert "v3.0" in mail.outbox[0].subject + mail.outbox[0].body


def test_followers_hear_of_lifecycle_changes(django_capture_on_commit_callbacks):
    from django.utils import timezone

    from governance.catalog.models import VersionState
    from governance.lifecycle.services import deprecate_version

    version = ModelVersionFactory(state=VersionState.APPROVED)
    follower = UserFactory()
    services.follow(user=follower, model=version.model)
    with django_capture_on_commit_callbacks(execute=True):
        deprecate_version(
            version=version,
            actor=UserFactory(is_staff=True),
            reason="old",
            sunset_at=timezone.now() + timezone.timedelta(days=30),
        )
    assert follower.email in [address for m in mail.outbox for address in m.to]
