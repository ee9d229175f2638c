"""Changing community state: reviews, comments, votes, favorites, follows, collections,
reports and moderation. Each function checks that the actor may see what they act on,
moderates text through the ``hubgate_moderate_text`` plugins and audits what matters."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from governance.accounts.models import Team, User
from governance.audit.services import record
from governance.catalog.models import Creator, Model, ModelVersion, Tag
from governance.catalog.selectors import can_see_model
from governance.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from governance.events.services import emit
from governance.hookspecs import ModerationAction, ModerationVerdict, TextToModerate
from governance.plugins import call_hook

from .models import (
    Collection,
    CollectionItem,
    Comment,
    ContentStatus,
    Favorite,
    Follow,
    Report,
    Review,
    ReviewRevision,
    ReviewVote,
)
from .selectors import followers_of_model, is_moderator

MAX_TEXT = 10_000
MAX_COLLECTION_ITEMS = 500


def _require_visible(user: User, model: Model) -> None:
    if not can_see_model(user, model):
        raise NotFound("No such model.")


def _clean_text(text: str, *, field: str, required: bool) -> str:
    text = (text or "").strip()
    if required and not text:
        raise ValidationFailed(f"Write a {field}.", errors={field: ["required"]})
    if len(text) > MAX_TEXT:
        raise ValidationFailed(
            f"The {field} is longer than {MAX_TEXT} characters.", errors={field: ["too long"]}
        )
    return text


def _as_verdict(value: object) -> ModerationVerdict:
    if not isinstance(value, ModerationVerdict):
        raise TypeError("a moderation plugin must return a ModerationVerdict")
    return value


def moderate(*, kind: str, text: str, author: User, model: Model) -> dict[str, Any]:
    """Ask every moderation plugin about ``text``; the fields a review or comment stores.

    Any ``hold``, and any plugin failure, holds the text (moderation fails closed)."""
    if not text:
        return {
            "status": ContentStatus.VISIBLE,
            "moderation_reasons": [],
            "toxicity": 0.0,
            "spam": 0.0,
            "sentiment": None,
        }
    results = call_hook(
        "hubgate_moderate_text",
        validate=_as_verdict,
        text=TextToModerate(kind=kind, text=text, author_id=author.pk, model_id=model.pk),
    )
    reasons: list[str] = []
    held = False
    sentiments = []
    toxicity = spam = 0.0
    for result in results:
        if result.error is not None:
            held = True
            reasons.append(f"{result.plugin} could not check it")
            continue
        verdict = result.value
        if verdict.action == ModerationAction.HOLD:
            held = True
            reasons.extend(f"{result.plugin}: {reason}" for reason in verdict.reasons)
        toxicity = max(toxicity, verdict.toxicity)
        spam = max(spam, verdict.spam)
        if verdict.sentiment is not None:
            sentiments.append(verdict.sentiment)
    return {
        "status": ContentStatus.HELD if held else ContentStatus.VISIBLE,
        "moderation_reasons": reasons,
        "toxicity": toxicity,
        "spam": spam,
        "sentiment": sum(sentiments) / len(sentiments) if sentiments else None,
    }


def _audit_hold(obj, kind: str, checks: dict[str, Any]) -> None:
    if checks["status"] == ContentStatus.HELD:
        record(
            action=f"{kind}.held",
            obj=obj,
            actor=None,
            after={
                "reasons": checks["moderation_reasons"],
                "toxicity": checks["toxicity"],
                "spam": checks["spam"],
            },
        )


# --- reviews ---------------------------------------------------------------------------------


def write_review(*, user: User, version: ModelVersion, rating: int, text: str = "") -> Review:
    """Create or edit ``user``'s review of ``version``; an edit keeps the previous text and
    rating as a revision. Text is moderated: held text waits for a moderator."""
    _require_visible(user, version.model)
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ValidationFailed(
            "A rating is a whole number from 1 to 5.", errors={"rating": ["from 1 to 5"]}
        )
    text = _clean_text(text, field="text", required=False)
    checks = moderate(kind="review", text=text, author=user, model=version.model)
    now = timezone.now()
    with transaction.atomic():
        review = Review.objects.select_for_update().filter(user=user, version=version).first()
        if review is None:
            review = Review.objects.create(
                user=user,
                version=version,
                model_id=version.model_id,
                rating=rating,
                text=text,
                created_at=now,
                updated_at=now,
                **checks,
            )
            _audit_hold(review, "review", checks)
            return review
        if review.status == ContentStatus.HIDDEN:
            raise Conflict("A moderator hid this review; it can no longer be edited.")
        if review.rating == rating and review.text == text:
            return review
        ReviewRevision.objects.create(
            review=review,
            rating=review.rating,
            text=review.text,
            written_at=review.updated_at,
            replaced_at=now,
        )
        review.rating = rating
        review.text = text
        review.updated_at = now
        for name, value in checks.items():
            setattr(review, name, value)
        review.save()
        _audit_hold(review, "review", checks)
    return review


def vote_review(*, user: User, review: Review, helpful: bool | None) -> Review:
    """Mark someone else's review helpful (True), unhelpful (False), or take the vote back."""
    _require_visible(user, review.model)
    if review.user_id == user.pk:
        raise PermissionDenied("You cannot vote on your own review.")
    if review.status != ContentStatus.VISIBLE:
        raise NotFound("No such review.")
    with transaction.atomic():
        if helpful is None:
            ReviewVote.objects.filter(review=review, user=user).delete()
        else:
            ReviewVote.objects.update_or_create(
                review=review, user=user, defaults={"helpful": helpful}
            )
        counts = ReviewVote.objects.filter(review=review).aggregate(
            up=Count("id", filter=Q(helpful=True)), down=Count("id", filter=Q(helpful=False))
        )
        Review.objects.filter(pk=review.pk).update(
            helpful_count=counts["up"], unhelpful_count=counts["down"]
        )
    review.helpful_count, review.unhelpful_count = counts["up"], counts["down"]
    return review


# --- comments --------------------------------------------------------------------------------


def post_comment(*, user: User, model: Model, text: str, parent: Comment | None = None) -> Comment:
    """Add a comment to ``model``'s discussion, or a reply to ``parent``; moderated."""
    _require_visible(user, model)
    text = _clean_text(text, field="text", required=True)
    if parent is not None and (parent.model_id != model.pk or parent.status != "visible"):
        raise ValidationFailed(
            "You can only reply to a visible comment on the same model.",
            errors={"parent": ["not a comment on this model"]},
        )
    checks = moderate(kind="comment", text=text, author=user, model=model)
    now = timezone.now()
    with transaction.atomic():
        comment = Comment.objects.create(
            model=model,
            author=user,
            parent=parent,
            text=text,
            created_at=now,
            updated_at=now,
            **checks,
        )
        _audit_hold(comment, "comment", checks)
    return comment


# --- favorites and follows -------------------------------------------------------------------


def set_favorite(*, user: User, model: Model, favorite: bool) -> bool:
    """Make ``model`` one of ``user``'s favorites or not; returns whether it now is."""
    _require_visible(user, model)
    if favorite:
        Favorite.objects.get_or_create(
            user=user, model=model, defaults={"created_at": timezone.now()}
        )
    else:
        Favorite.objects.filter(user=user, model=model).delete()
    return favorite


def toggle_favorite(*, user: User, model: Model) -> bool:
    """Flip ``model`` in ``user``'s favorites; returns whether it now is one."""
    exists = Favorite.objects.filter(user=user, model=model).exists()
    return set_favorite(user=user, model=model, favorite=not exists)


def _follow_target(*, creator: Creator | None, model: Model | None, tag: Tag | None) -> dict:
    given = {k: v for k, v in {"creator": creator, "model": model, "tag": tag}.items() if v}
    if len(given) != 1:
        raise ValidationFailed("Follow exactly one creator, model or tag.")
    return given


def follow(
    *,
    user: User,
    creator: Creator | None = None,
    model: Model | None = None,
    tag: Tag | None = None,
) -> Follow:
    """Follow a creator, a model or a tag: hear of new versions and lifecycle changes."""
    target = _follow_target(creator=creator, model=model, tag=tag)
    if model is not None:
        _require_visible(user, model)
    found, _ = Follow.objects.get_or_create(user=user, **target)
    return found


def unfollow(
    *,
    user: User,
    creator: Creator | None = None,
    model: Model | None = None,
    tag: Tag | None = None,
) -> None:
    Follow.objects.filter(
        user=user, **_follow_target(creator=creator, model=model, tag=tag)
    ).delete()


def notify_followers_of_new_versions(*, version_ids: Iterable[int]) -> None:
    """Once the transaction that added ``version_ids`` commits, tell each one's followers."""
    ids = list(version_ids)

    def notify() -> None:
        for version_id in ids:
            notify_followers_of_new_version(version_id=version_id)

    # Robust: a failing notice must not fail the import that already committed.
    transaction.on_commit(notify, robust=True)


def notify_followers_of_new_version(*, version_id: int) -> int:
    """E-mail (and emit to webhooks) a new version to those following its model, creator or
    tags who may see it; returns how many people were told."""
    version = ModelVersion.objects.select_related("model").filter(pk=version_id).first()
    if version is None:
        return 0
    model = version.model
    people = [u for u in followers_of_model(model) if can_see_model(u, model)]
    if not people:
        return 0
    with transaction.atomic():
        emit(
            event="community.version_published",
            subject={
                "version_id": version.pk,
                "model_id": model.pk,
                "model": model.name,
                "version": version.name,
                "name": f"{model.name} {version.name}",
            },
            recipients=people,
        )
    return len(people)


# --- collections -----------------------------------------------------------------------------


def _check_visibility(owner: User, visibility: str, team: Team | None) -> None:
    if visibility not in Collection.Visibility.values:
        raise ValidationFailed(
            "Choose private, team or company.", errors={"visibility": ["invalid choice"]}
        )
    if visibility == Collection.Visibility.TEAM:
        if team is None:
            raise ValidationFailed("A team collection needs a team.", errors={"team": ["required"]})
        if not owner.teams.filter(pk=team.pk).exists():
            raise PermissionDenied("You can only share a collection with a team you are in.")


def create_collection(
    *,
    owner: User,
    name: str,
    description: str = "",
    visibility: str = Collection.Visibility.PRIVATE,
    team: Team | None = None,
) -> Collection:
    """A new, empty collection owned by ``owner``."""
    name = _clean_text(name, field="name", required=True)[:120]
    _check_visibility(owner, visibility, team)
    with transaction.atomic():
        collection = Collection.objects.create(
            owner=owner,
            name=name,
            description=_clean_text(description, field="description", required=False),
            visibility=visibility,
            team=team if visibility == "team" else None,
        )
        record(
            action="collection.created",
            obj=collection,
            actor=owner,
            after={"visibility": visibility, "team": team.slug if team else None},
        )
    return collection


def _require_owner(user: User, collection: Collection) -> None:
    if collection.owner_id != user.pk:
        raise PermissionDenied("Only the collection's owner may change it.")


def update_collection(
    *,
    user: User,
    collection: Collection,
    name: str | None = None,
    description: str | None = None,
    visibility: str | None = None,
    team: Team | None = None,
) -> Collection:
    """Rename, describe or re-share a collection (its owner only); sharing changes are audited."""
    _require_owner(user, collection)
    before = {
        "visibility": collection.visibility,
        "team": collection.team.slug if collection.team else None,
    }
    if name is not None:
        collection.name = _clean_text(name, field="name", required=True)[:120]
    if description is not None:
        collection.description = _clean_text(description, field="description", required=False)
    if visibility is not None:
        team = team if team is not None else collection.team
        _check_visibility(user, visibility, team)
        collection.visibility = visibility
        collection.team = team if visibility == "team" else None
    with transaction.atomic():
        collection.save()
        after = {
            "visibility": collection.visibility,
            "team": collection.team.slug if collection.team else None,
        }
        if after != before:
            record(
                action="collection.shared", obj=collection, actor=user, before=before, after=after
            )
    return collection


def delete_collection(*, user: User, collection: Collection) -> None:
    _require_owner(user, collection)
    with transaction.atomic():
        record(action="collection.deleted", obj=collection, actor=user)
        collection.delete()


def add_to_collection(
    *,
    user: User,
    collection: Collection,
    model: Model,
    version: ModelVersion | None = None,
    note: str = "",
) -> CollectionItem:
    """Append ``model`` (optionally a version of it) with a note; a model is there once."""
    _require_owner(user, collection)
    _require_visible(user, model)
    if version is not None and version.model_id != model.pk:
        raise ValidationFailed(
            "That version is not a version of this model.", errors={"version": ["wrong model"]}
        )
    note = _clean_text(note, field="note", required=False)
    with transaction.atomic():
        items = CollectionItem.objects.select_for_update().filter(collection=collection)
        stats = items.aggregate(n=Count("id"), last=Max("position"))
        if stats["n"] >= MAX_COLLECTION_ITEMS:
            raise Conflict(f"A collection holds at most {MAX_COLLECTION_ITEMS} models.")
        try:
            with transaction.atomic():
                item = CollectionItem.objects.create(
                    collection=collection,
                    model=model,
                    version=version,
                    note=note,
                    position=(stats["last"] or 0) + 1 if stats["n"] else 0,
                    added_at=timezone.now(),
                )
        except IntegrityError:
            raise Conflict(f"{model.name} is already in {collection.name}.") from None
        Collection.objects.filter(pk=collection.pk).update(updated_at=timezone.now())
    return item


def update_item(
    *, user: User, item: CollectionItem, note: str | None = None, position: int | None = None
) -> CollectionItem:
    """Change an item's note, or move it to ``position`` (0 = first), renumbering the rest."""
    _require_owner(user, item.collection)
    with transaction.atomic():
        if note is not None:
            item.note = _clean_text(note, field="note", required=False)
            item.save(update_fields=["note"])
        if position is not None:
            order = list(
                CollectionItem.objects.select_for_update()
                .filter(collection_id=item.collection_id)
                .exclude(pk=item.pk)
                .order_by("position", "id")
            )
            position = max(0, min(position, len(order)))
            order.insert(position, item)
            for index, each in enumerate(order):
                each.position = index
            CollectionItem.objects.bulk_update(order, ["position"])
    return item


def remove_from_collection(*, user: User, item: CollectionItem) -> None:
    _require_owner(user, item.collection)
    item.delete()


def rotate_share_token(*, user: User, collection: Collection) -> Collection:
    """Give the collection a new link; the old one stops working."""
    from .models import new_share_token

    _require_owner(user, collection)
    with transaction.atomic():
        collection.share_token = new_share_token()
        collection.save(update_fields=["share_token", "updated_at"])
        record(action="collection.link_rotated", obj=collection, actor=user)
    return collection


# --- reports and moderation ------------------------------------------------------------------


def report_content(
    *, reporter: User, reason: str, review: Review | None = None, comment: Comment | None = None
) -> Report:
    """Tell moderators that a review or comment breaks the rules."""
    target = review or comment
    if (review is None) == (comment is None):
        raise ValidationFailed("Report exactly one review or comment.")
    _require_visible(reporter, target.model)
    if target.status != ContentStatus.VISIBLE:
        raise NotFound("No such review or comment.")
    reason = _clean_text(reason, field="reason", required=True)[:2000]
    try:
        with transaction.atomic():
            report = Report.objects.create(
                reporter=reporter, review=review, comment=comment, reason=reason
            )
            record(
                action="content.reported",
                obj=report,
                actor=reporter,
                after={"target": target._meta.model_name, "id": target.pk},
            )
    except IntegrityError:
        raise Conflict("You already reported this; a moderator will look at it.") from None
    return report


def moderate_content(
    *, moderator: User, target: Review | Comment, action: str, reason: str = ""
) -> Review | Comment:
    """Hide or restore (``action``: "hide" | "restore") a review or comment; closes its open
    reports. Moderators only; every decision is in the audit log."""
    if not is_moderator(moderator):
        raise PermissionDenied("Only moderators may hide or restore content.")
    statuses = {"hide": ContentStatus.HIDDEN, "restore": ContentStatus.VISIBLE}
    if action not in statuses:
        raise ValidationFailed("Choose hide or restore.", errors={"action": ["invalid choice"]})
    kind = target._meta.model_name
    with transaction.atomic():
        locked = type(target).objects.select_for_update().get(pk=target.pk)
        before = locked.status
        locked.status = statuses[action]
        if action == "hide" and reason:
            locked.moderation_reasons = [*locked.moderation_reasons, f"moderator: {reason}"]
        locked.save(update_fields=["status", "moderation_reasons"])
        Report.objects.filter(**{kind: locked}, status=Report.Status.OPEN).update(
            status=Report.Status.RESOLVED,
            resolved_by=moderator,
            resolved_at=timezone.now(),
            resolution="hidden" if action == "hide" else "kept",
        )
        record(
            action=f"{kind}.{'hidden' if action == 'hide' else 'restored'}",
            obj=locked,
            actor=moderator,
            before={"status": before},
            after={"status": locked.status, "reason": reason},
        )
    target.status = locked.status
    return target


def dismiss_report(*, moderator: User, report: Report) -> Report:
    """Close a report without touching its content (it was fine)."""
    if not is_moderator(moderator):
        raise PermissionDenied("Only moderators may dismiss reports.")
    with transaction.atomic():
        updated = Report.objects.filter(pk=report.pk, status=Report.Status.OPEN).update(
            status=Report.Status.RESOLVED,
            resolved_by=moderator,
            resolved_at=timezone.now(),
            resolution="dismissed",
        )
        if updated:
            record(action="report.dismissed", obj=report, actor=moderator)
    report.refresh_from_db()
    return report
