"""What people say about models and how they organize them: reviews, comments, votes,
favorites, follows, collections and reports."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q


class ContentStatus(models.TextChoices):
    """Whether people can read a review or comment."""

    VISIBLE = "visible", "Visible"
    HELD = "held", "Held for a moderator"
    HIDDEN = "hidden", "Hidden by a moderator"


class ModeratedContent(models.Model):
    """Text published by a person, checked by the moderation plugins before anyone sees it."""

    text = models.TextField(blank=True)
    status = models.CharField(
        max_length=16, choices=ContentStatus.choices, default=ContentStatus.VISIBLE, db_index=True
    )
    #: Why the plugins held it, or why a moderator hid it.
    moderation_reasons = models.JSONField(default=list, blank=True)
    toxicity = models.FloatField(default=0.0)
    spam = models.FloatField(default=0.0)
    #: Mean sentiment in [-1, 1] given by the plugins; ``None`` when none gave one.
    sentiment = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField()

    class Meta:
        abstract = True


class Review(ModeratedContent):
    """One person's rating (1-5) and opinion of one version; edits keep their history."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="model_reviews"
    )
    version = models.ForeignKey(
        "catalog.ModelVersion", on_delete=models.CASCADE, related_name="community_reviews"
    )
    #: Denormalized from ``version`` so a model's reviews are one indexed query.
    model = models.ForeignKey(
        "catalog.Model", on_delete=models.CASCADE, related_name="community_reviews"
    )
    rating = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    helpful_count = models.PositiveIntegerField(default=0)
    unhelpful_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "version"], name="one_review_per_user_version"),
            models.CheckConstraint(
                condition=Q(rating__gte=1, rating__lte=5), name="review_rating_1_to_5"
            ),
        ]
        indexes = [models.Index(fields=["model", "status"])]

    def __str__(self) -> str:
        return f"{self.rating}★ by {self.user_id} on version {self.version_id}"


class ReviewRevision(models.Model):
    """A review as it was before an edit."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="revisions")
    rating = models.PositiveSmallIntegerField()
    text = models.TextField(blank=True)
    #: When this text was written (the review's ``updated_at`` at the time).
    written_at = models.DateTimeField()
    replaced_at = models.DateTimeField()

    class Meta:
        ordering = ["review_id", "-replaced_at", "-id"]

    def __str__(self) -> str:
        return f"revision of review {self.review_id} from {self.written_at:%Y-%m-%d}"


class ReviewVote(models.Model):
    """A thumbs up (helpful) or down on someone else's review."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    helpful = models.BooleanField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["review", "user"], name="one_vote_per_user_review")
        ]

    def __str__(self) -> str:
        return f"{'up' if self.helpful else 'down'} on review {self.review_id}"


class Comment(ModeratedContent):
    """A message in a model's discussion, optionally replying to another."""

    model = models.ForeignKey("catalog.Model", on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comments"
    )
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["model", "status", "created_at"])]

    def __str__(self) -> str:
        return f"comment {self.pk} on model {self.model_id}"


class Favorite(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favorites"
    )
    model = models.ForeignKey("catalog.Model", on_delete=models.CASCADE, related_name="favorites")
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "model"], name="one_favorite")]

    def __str__(self) -> str:
        return f"{self.user_id} ♥ {self.model_id}"


class Follow(models.Model):
    """Someone following a creator, a model or a tag, to hear of new versions and changes."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows"
    )
    creator = models.ForeignKey(
        "catalog.Creator", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    model = models.ForeignKey(
        "catalog.Model", on_delete=models.CASCADE, null=True, blank=True, related_name="followers"
    )
    tag = models.ForeignKey(
        "catalog.Tag", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(creator__isnull=False, model__isnull=True, tag__isnull=True)
                    | Q(creator__isnull=True, model__isnull=False, tag__isnull=True)
                    | Q(creator__isnull=True, model__isnull=True, tag__isnull=False)
                ),
                name="follow_exactly_one_target",
            ),
            models.UniqueConstraint(
                fields=["user", "creator"],
                condition=Q(creator__isnull=False),
                name="follow_creator",
            ),
            models.UniqueConstraint(
                fields=["user", "model"], condition=Q(model__isnull=False), name="follow_model"
            ),
            models.UniqueConstraint(
                fields=["user", "tag"], condition=Q(tag__isnull=False), name="follow_tag"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.target}"

    @property
    def target(self):
        return self.creator or self.model or self.tag


def new_share_token() -> str:
    return secrets.token_urlsafe(18)


class Collection(models.Model):
    """An ordered, annotated list of models, private, for a team or for the whole company."""

    class Visibility(models.TextChoices):
        PRIVATE = "private", "Only me"
        TEAM = "team", "My team"
        COMPANY = "company", "Everyone in the company"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="collections"
    )
    team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="collections",
        help_text="The team that sees a team collection.",
    )
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    visibility = models.CharField(
        max_length=16, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    #: The collection's link; opening it still requires being allowed to see the collection.
    share_token = models.CharField(max_length=32, unique=True, default=new_share_token)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(visibility="team") | Q(team__isnull=False),
                name="team_collection_has_team",
            )
        ]

    def __str__(self) -> str:
        return self.name


class CollectionItem(models.Model):
    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="items")
    model = models.ForeignKey("catalog.Model", on_delete=models.CASCADE, related_name="+")
    version = models.ForeignKey(
        "catalog.ModelVersion", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    position = models.PositiveIntegerField(default=0)
    note = models.TextField(blank=True)
    added_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["collection_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["collection", "model"], name="model_once_per_collection"
            )
        ]

    def __str__(self) -> str:
        return f"{self.model_id} in {self.collection_id}"


class Report(models.Model):
    """A person telling moderators that a review or comment breaks the rules."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    review = models.ForeignKey(
        Review, on_delete=models.CASCADE, null=True, blank=True, related_name="reports"
    )
    comment = models.ForeignKey(
        Comment, on_delete=models.CASCADE, null=True, blank=True, related_name="reports"
    )
    reason = models.TextField()
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    resolution = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("moderate_content", "Can hide and restore reviews and comments")]
        constraints = [
            models.CheckConstraint(
                condition=Q(review__isnull=False, comment__isnull=True)
                | Q(review__isnull=True, comment__isnull=False),
                name="report_one_target",
            ),
            models.UniqueConstraint(
                fields=["reporter", "review"],
                condition=Q(review__isnull=False, status="open"),
                name="one_open_report_per_review",
            ),
            models.UniqueConstraint(
                fields=["reporter", "comment"],
                condition=Q(comment__isnull=False, status="open"),
                name="one_open_report_per_comment",
            ),
        ]

    def __str__(self) -> str:
        return f"report {self.pk} ({self.status})"

    @property
    def target(self):
        return self.review or self.comment
