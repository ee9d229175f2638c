"""Questions about the community, with visibility applied, and the one home of the trend math
(hot, rising, new, virality) that dashboards and the trending recommender share."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Avg, Count, Exists, Min, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from governance.catalog.models import Model, ModelVersion, VersionState
from governance.catalog.selectors import visible_models
from governance.usage.interactions import WEIGHTS, Interaction, rating_weight, usage_interactions

from .models import (
    Collection,
    CollectionItem,
    Comment,
    ContentStatus,
    Favorite,
    Follow,
    Report,
    Review,
)

#: Weight of the prior in the Bayesian average: as if every model had this many average votes.
BAYES_PRIOR_VOTES = 5
#: The prior mean when no review exists anywhere yet.
DEFAULT_PRIOR_MEAN = 3.5
#: Hot: a use counts half as much after this many days.
HOT_HALF_LIFE_DAYS = 3.0
#: New: a model counts as new for this many days; its bonus halves every NEW_HALF_LIFE_DAYS.
NEW_WINDOW_DAYS = 30
NEW_HALF_LIFE_DAYS = 7.0
#: Viral: the last VIRAL_RECENT_DAYS average at least VIRAL_FACTOR times the daily baseline of
#: the VIRAL_BASELINE_DAYS before, with at least VIRAL_MIN_DAILY uses a day.
VIRAL_RECENT_DAYS = 2
VIRAL_BASELINE_DAYS = 28
VIRAL_FACTOR = 4.0
VIRAL_MIN_DAILY = 5.0
#: A favorite counts as this many downloads in the trend signal.
FAVORITE_WEIGHT = 3


def is_moderator(user) -> bool:
    """Staff, or someone granted ``community.moderate_content``."""
    return bool(
        user.is_authenticated and (user.is_staff or user.has_perm("community.moderate_content"))
    )


# --- reviews and comments --------------------------------------------------------------------


def _readable(content: QuerySet, user, *, author: str) -> QuerySet:
    """Visible texts on models ``user`` may see, plus ``user``'s own held ones (so they see
    that theirs waits for a moderator)."""
    if not user.is_authenticated:
        return content.none()
    on_visible = content.filter(model__in=visible_models(user))
    return on_visible.filter(status=ContentStatus.VISIBLE) | on_visible.filter(
        **{author: user}, status=ContentStatus.HELD
    )


def reviews_visible_to(user) -> QuerySet[Review]:
    return _readable(Review.objects.all(), user, author="user").select_related("user", "version")


def comments_visible_to(user) -> QuerySet[Comment]:
    return _readable(Comment.objects.all(), user, author="author").select_related("author")


def reviews_of_model(model: Model, user) -> QuerySet[Review]:
    """The model's reviews ``user`` may read, most helpful first."""
    return (
        reviews_visible_to(user)
        .filter(model=model)
        .order_by("-helpful_count", "-created_at", "-id")
    )


def review_history(review: Review) -> list:
    """Earlier ratings and texts of ``review``, newest first."""
    return list(review.revisions.all())


def comments_of_model(model: Model, user) -> list[Comment]:
    """The model's discussion as threads: top-level comments, each with ``thread_replies``
    (every readable reply at any depth, in order, with ``depth``)."""
    comments = list(comments_visible_to(user).filter(model=model).order_by("created_at", "id"))
    children: dict[int | None, list[Comment]] = defaultdict(list)
    for comment in comments:
        children[comment.parent_id].append(comment)

    def walk(parent_id: int, depth: int) -> Iterator[Comment]:
        for child in children.get(parent_id, []):
            child.depth = depth
            yield child
            yield from walk(child.pk, depth + 1)

    roots = children.get(None, [])
    for root in roots:
        root.depth = 0
        root.thread_replies = list(walk(root.pk, 1))
    return roots


def recent_discussions(user, *, limit: int = 10) -> list[Comment]:
    """The latest visible comments on models ``user`` may see."""
    return list(
        Comment.objects.filter(status=ContentStatus.VISIBLE, model__in=visible_models(user))
        .select_related("author", "model")
        .order_by("-created_at", "-id")[:limit]
    )


@dataclass(frozen=True)
class RatingSummary:
    count: int
    mean: float | None
    #: (prior_votes * prior_mean + sum of ratings) / (prior_votes + count)
    bayesian: float | None
    distribution: dict[int, int]


def _prior_mean() -> float:
    mean = Review.objects.filter(status=ContentStatus.VISIBLE).aggregate(m=Avg("rating"))["m"]
    return float(mean) if mean is not None else DEFAULT_PRIOR_MEAN


def rating_summaries(model_ids: Iterable[int]) -> dict[int, RatingSummary]:
    """Rating count, mean, Bayesian average and 1-5 distribution per model, in two queries."""
    ids = list(model_ids)
    prior = _prior_mean()
    rows = (
        Review.objects.filter(model_id__in=ids, status=ContentStatus.VISIBLE)
        .values("model_id", "rating")
        .annotate(n=Count("id"))
        .order_by()
    )
    dist: dict[int, dict[int, int]] = {i: dict.fromkeys(range(1, 6), 0) for i in ids}
    for row in rows:
        dist[row["model_id"]][row["rating"]] = row["n"]
    out = {}
    for model_id, counts in dist.items():
        n = sum(counts.values())
        total = sum(star * k for star, k in counts.items())
        out[model_id] = RatingSummary(
            count=n,
            mean=round(total / n, 2) if n else None,
            bayesian=round((BAYES_PRIOR_VOTES * prior + total) / (BAYES_PRIOR_VOTES + n), 2),
            distribution=counts,
        )
    return out


def rating_summary(model: Model) -> RatingSummary:
    return rating_summaries([model.pk])[model.pk]


@dataclass(frozen=True)
class SentimentSummary:
    positive: int
    neutral: int
    negative: int
    mean: float | None
    label: str


def sentiment_summary(model: Model) -> SentimentSummary:
    """How the model's visible reviews and comments feel, as the moderation plugins scored
    them: counts of positive / neutral / negative texts and their mean in [-1, 1]."""
    values = list(
        Review.objects.filter(model=model, status=ContentStatus.VISIBLE)
        .exclude(sentiment=None)
        .values_list("sentiment", flat=True)
    ) + list(
        Comment.objects.filter(model=model, status=ContentStatus.VISIBLE)
        .exclude(sentiment=None)
        .values_list("sentiment", flat=True)
    )
    pos = sum(1 for v in values if v >= 0.05)
    neg = sum(1 for v in values if v <= -0.05)
    mean = round(sum(values) / len(values), 3) if values else None
    if mean is None:
        label = "no opinions yet"
    elif pos >= 2 * neg and mean > 0.05:
        label = "mostly positive"
    elif neg >= 2 * pos and mean < -0.05:
        label = "mostly negative"
    else:
        label = "mixed"
    return SentimentSummary(pos, len(values) - pos - neg, neg, mean, label)


# --- trends ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrendScore:
    """A model's trend signals; ``hot``, ``rising`` and ``new`` are >= 0 and unbounded (divide
    by the largest of a list to get [0, 1])."""

    model_id: int
    #: Uses (downloads + deployments + 3 x favorites) decayed with a 3-day half-life.
    hot: float
    #: log(1 + last 7 days) x growth over the 7 days before, above 1.
    rising: float
    #: Hot, boosted for models first published in the last 30 days (halving weekly).
    new: float
    #: Sudden growth: the last 2 days run at >= 4 x the 28-day daily baseline.
    viral: bool
    #: (last 7 days + 1) / (previous 7 days + 1).
    growth: float
    last_7_days: int
    previous_7_days: int


def _daily_signal(
    model_ids: list[int] | None, start: date, end: date
) -> dict[int, dict[date, int]]:
    from governance.usage.selectors import daily_downloads

    signal = daily_downloads(model_ids=model_ids, start=start, end=end)
    tz = timezone.get_current_timezone()
    since = timezone.make_aware(datetime.combine(start, datetime.min.time()), tz)
    favorites = Favorite.objects.filter(created_at__gte=since)
    if model_ids is not None:
        favorites = favorites.filter(model_id__in=model_ids)
    for model_id, created in favorites.values_list("model_id", "created_at"):
        day = timezone.localdate(created)
        per_day = signal.setdefault(model_id, {})
        per_day[day] = per_day.get(day, 0) + FAVORITE_WEIGHT
    return signal


def trend_score(
    model_id: int, per_day: dict[date, int], *, today: date, first_seen: date | None
) -> TrendScore:
    """The trend math for one model's daily use counts (pure: no database)."""

    def count(age: int) -> int:
        return per_day.get(today - timedelta(days=age), 0)

    hot = sum(
        n * 0.5 ** ((today - day).days / HOT_HALF_LIFE_DAYS)
        for day, n in per_day.items()
        if day <= today
    )
    last7 = sum(count(age) for age in range(7))
    prev7 = sum(count(age) for age in range(7, 14))
    growth = (last7 + 1) / (prev7 + 1)
    rising = math.log1p(last7) * max(0.0, growth - 1.0)
    new = 0.0
    if first_seen is not None and 0 <= (today - first_seen).days <= NEW_WINDOW_DAYS:
        new = (1.0 + hot) * 0.5 ** ((today - first_seen).days / NEW_HALF_LIFE_DAYS)
    recent = sum(count(age) for age in range(VIRAL_RECENT_DAYS)) / VIRAL_RECENT_DAYS
    baseline = (
        sum(count(age) for age in range(VIRAL_RECENT_DAYS, VIRAL_RECENT_DAYS + VIRAL_BASELINE_DAYS))
        / VIRAL_BASELINE_DAYS
    )
    viral = recent >= VIRAL_MIN_DAILY and recent >= VIRAL_FACTOR * max(baseline, 1.0)
    return TrendScore(
        model_id,
        round(hot, 4),
        round(rising, 4),
        round(new, 4),
        viral,
        round(growth, 4),
        last7,
        prev7,
    )


def trend_scores(
    *, model_ids: Iterable[int] | None = None, today: date | None = None
) -> dict[int, TrendScore]:
    """Trend signals of ``model_ids`` (default: every model used or favorited in the last
    30 days, plus models first published then). Not filtered by permission: callers keep
    only models the viewer may see."""
    today = today or timezone.localdate()
    start = today - timedelta(days=VIRAL_RECENT_DAYS + VIRAL_BASELINE_DAYS)
    ids = list(model_ids) if model_ids is not None else None
    signal = _daily_signal(ids, start, today)
    # A model is as new as its first version (its hub publication date, else its import).
    firsts = ModelVersion.objects.values("model_id").annotate(
        first=Min(Coalesce("published_at", "created_at"))
    )
    if ids is not None:
        firsts = firsts.filter(model_id__in=ids)
    else:
        cutoff = timezone.now() - timedelta(days=NEW_WINDOW_DAYS)
        firsts = firsts.filter(Q(published_at__gte=cutoff) | Q(model_id__in=list(signal)))
    first_seen = {
        row["model_id"]: timezone.localdate(row["first"]) if row["first"] else None
        for row in firsts.order_by()
    }
    wanted = ids if ids is not None else sorted(set(signal) | set(first_seen))
    return {
        model_id: trend_score(
            model_id, signal.get(model_id, {}), today=today, first_seen=first_seen.get(model_id)
        )
        for model_id in wanted
    }


TREND_KINDS = ("hot", "rising", "new")


def trending(
    *, user, kind: str = "hot", limit: int = 10, today: date | None = None
) -> list[tuple[Model, TrendScore]]:
    """The models ``user`` may see ranked by ``kind`` ("hot", "rising" or "new"), with
    their trend signals; models with a zero score are left out."""
    if kind not in TREND_KINDS:
        from governance.errors import ValidationFailed

        raise ValidationFailed(
            f"Trend kind is one of {', '.join(TREND_KINDS)}.", errors={"kind": ["invalid choice"]}
        )
    scores = trend_scores(today=today)
    allowed = set(visible_models(user).filter(pk__in=list(scores)).values_list("pk", flat=True))
    ranked = sorted(
        (s for s in scores.values() if s.model_id in allowed and getattr(s, kind) > 0),
        key=lambda s: (-getattr(s, kind), -s.hot, s.model_id),
    )[:limit]
    models = Model.objects.select_related("creator").in_bulk([s.model_id for s in ranked])
    return [(models[s.model_id], s) for s in ranked if s.model_id in models]


# --- implicit feedback for recommenders ------------------------------------------------------


def interactions(
    *,
    since: datetime | None = None,
    user_ids: Iterable[int] | None = None,
    model_ids: Iterable[int] | None = None,
) -> Iterator[Interaction]:
    """People's implicit feedback for collaborative recommenders, streamed kind by kind
    (downloads and deployments, favorites, ratings, collection items), weighed by the one
    table in ``governance.usage.interactions``. Not permission-filtered: it is training
    data; recommendations are filtered by ``visible_models`` when served."""
    users = list(user_ids) if user_ids is not None else None
    models = list(model_ids) if model_ids is not None else None

    def narrow(qs: QuerySet, *, user: str, model: str, when: str) -> QuerySet:
        if since is not None:
            qs = qs.filter(**{f"{when}__gte": since})
        if users is not None:
            qs = qs.filter(**{f"{user}__in": users})
        if models is not None:
            qs = qs.filter(**{f"{model}__in": models})
        return qs

    yield from usage_interactions(since=since, user_ids=users, model_ids=models)
    favorites = narrow(Favorite.objects.all(), user="user_id", model="model_id", when="created_at")
    for user_id, model_id, at in favorites.values_list("user_id", "model_id", "created_at"):
        yield Interaction(user_id, None, model_id, None, "favorite", WEIGHTS["favorite"], at)
    reviews = narrow(
        Review.objects.exclude(status=ContentStatus.HIDDEN),
        user="user_id",
        model="model_id",
        when="updated_at",
    )
    for user_id, model_id, version_id, rating, at in reviews.values_list(
        "user_id", "model_id", "version_id", "rating", "updated_at"
    ):
        yield Interaction(user_id, None, model_id, version_id, "rating", rating_weight(rating), at)
    items = narrow(
        CollectionItem.objects.all(),
        user="collection__owner_id",
        model="model_id",
        when="added_at",
    )
    for user_id, team_id, model_id, version_id, at in items.values_list(
        "collection__owner_id", "collection__team_id", "model_id", "version_id", "added_at"
    ):
        weight = WEIGHTS["collection"]
        yield Interaction(user_id, team_id, model_id, version_id, "collection", weight, at)


# --- favorites, follows, collections ---------------------------------------------------------


def favorites_of(user) -> QuerySet[Favorite]:
    """``user``'s favorites among models they may still see."""
    return Favorite.objects.filter(user=user, model__in=visible_models(user)).select_related(
        "model", "model__creator"
    )


def is_favorite(user, model: Model) -> bool:
    return user.is_authenticated and Favorite.objects.filter(user=user, model=model).exists()


def followers_of_model(model: Model) -> QuerySet:
    """Active people following ``model``, its creator or one of its tags."""
    follows = Follow.objects.filter(
        Q(model=model)
        | Q(creator_id=model.creator_id, creator__isnull=False)
        | Q(tag__in=model.tags.all())
    )
    return get_user_model().objects.filter(pk__in=follows.values("user_id"), is_active=True)


def follows_of(user) -> QuerySet[Follow]:
    return Follow.objects.filter(user=user).select_related("creator", "model", "tag")


def visible_collections(user) -> QuerySet[Collection]:
    """Collections ``user`` may see: their own, their teams' and company-wide ones. Private
    collections stay private even to administrators outside the admin console."""
    if not user.is_authenticated:
        return Collection.objects.none()
    return Collection.objects.filter(
        Q(owner=user)
        | Q(visibility=Collection.Visibility.COMPANY)
        | Q(visibility=Collection.Visibility.TEAM, team__in=user.teams.values("pk"))
    ).select_related("owner", "team")


def collection_by_token(user, token: str) -> Collection | None:
    """The collection behind a share link, if ``user`` may see it."""
    return visible_collections(user).filter(share_token=token).first()


@dataclass(frozen=True)
class CollectedModel:
    item: CollectionItem
    #: "approved", "deprecated", or a plain description of why it is not usable.
    status: str
    approved: bool


def collection_items(collection: Collection, user) -> list[CollectedModel]:
    """The collection's items whose model ``user`` may see, in order, each with whether it
    is (still) approved: a pinned version by its state, a model by its approved versions."""
    approved_states = [VersionState.APPROVED, VersionState.DEPRECATED]
    items = (
        collection.items.filter(model__in=visible_models(user))
        .select_related("model", "model__creator", "version")
        .annotate(
            has_approved=Exists(
                ModelVersion.objects.filter(model=OuterRef("model"), state__in=approved_states)
            )
        )
        .order_by("position", "id")
    )
    out = []
    for item in items:
        if item.version is not None:
            state = item.version.state
            ok = state in approved_states
            status = state if ok else f"version {item.version.get_state_display().lower()}"
        else:
            ok = item.has_approved
            status = "approved" if ok else "no approved version"
        out.append(CollectedModel(item, status, ok))
    return out


# --- reputation ------------------------------------------------------------------------------


def reputation(user_ids: Iterable[int]) -> dict[int, int]:
    """Reviewer reputation: 2 per helpful and -1 per unhelpful vote received, 1 per visible
    review with substance (60+ characters), -5 per review or comment a moderator hid; >= 0."""
    ids = list(set(user_ids))
    points: dict[int, int] = dict.fromkeys(ids, 0)
    reviews = (
        Review.objects.filter(user_id__in=ids)
        .values("user_id")
        .annotate(
            up=Sum("helpful_count", filter=Q(status=ContentStatus.VISIBLE)),
            down=Sum("unhelpful_count", filter=Q(status=ContentStatus.VISIBLE)),
            hidden=Count("id", filter=Q(status=ContentStatus.HIDDEN)),
        )
        .order_by()
    )
    for row in reviews:
        points[row["user_id"]] += 2 * (row["up"] or 0) - (row["down"] or 0) - 5 * row["hidden"]
    substantial = Review.objects.filter(user_id__in=ids, status=ContentStatus.VISIBLE)
    for user_id, text in substantial.values_list("user_id", "text"):
        points[user_id] += len(text) >= 60
    hidden_comments = (
        Comment.objects.filter(author_id__in=ids, status=ContentStatus.HIDDEN)
        .values("author_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in hidden_comments:
        points[row["author_id"]] -= 5 * row["n"]
    return {user_id: max(0, value) for user_id, value in points.items()}


def creator_reputation(creator_ids: Iterable[int]) -> dict[int, int]:
    """Creator reputation: favorites of their models plus 2 x (stars - 3) summed over the
    visible reviews of their models; >= 0."""
    ids = list(set(creator_ids))
    points: dict[int, int] = dict.fromkeys(ids, 0)
    for row in (
        Favorite.objects.filter(model__creator_id__in=ids)
        .values("model__creator_id")
        .annotate(n=Count("id"))
        .order_by()
    ):
        points[row["model__creator_id"]] += row["n"]
    for row in (
        Review.objects.filter(model__creator_id__in=ids, status=ContentStatus.VISIBLE)
        .values("model__creator_id")
        .annotate(s=Sum("rating"), n=Count("id"))
        .order_by()
    ):
        points[row["model__creator_id"]] += 2 * (row["s"] - 3 * row["n"])
    return {creator_id: max(0, value) for creator_id, value in points.items()}


def top_creators(user, *, limit: int = 10) -> list[tuple[object, int]]:
    """Creators of models ``user`` may see, by reputation."""
    from governance.catalog.models import Creator

    creators = Creator.objects.filter(models__in=visible_models(user)).distinct()
    scores = creator_reputation(creators.values_list("pk", flat=True))
    best = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    by_id = Creator.objects.in_bulk([pk for pk, _ in best])
    return [(by_id[pk], score) for pk, score in best if pk in by_id]


# --- moderation ------------------------------------------------------------------------------


def moderation_queue(user) -> dict[str, list]:
    """What waits for a moderator: held reviews and comments, and open reports."""
    if not is_moderator(user):
        return {"reviews": [], "comments": [], "reports": []}
    return {
        "reviews": list(
            Review.objects.filter(status=ContentStatus.HELD)
            .select_related("user", "model", "version")
            .order_by("created_at")
        ),
        "comments": list(
            Comment.objects.filter(status=ContentStatus.HELD)
            .select_related("author", "model")
            .order_by("created_at")
        ),
        "reports": list(
            Report.objects.filter(status=Report.Status.OPEN)
            .select_related("reporter", "review__model", "comment__model")
            .order_by("created_at")
        ),
    }
