"""Demo community and usage for ``manage.py seed_demo``: months of reviews, comments, votes,
favorites, follows, collections and usage events on the demo catalog.

Deterministic (seeded random generators, dates relative to the day it runs) and idempotent
(a second run finds its marker collection and does nothing). Text goes through the real
services, so the moderation plugins score sentiment and hold the toxic example.

Usage follows the calendar (weekends are quieter), yet what the demo shows does not depend on
the weekday it runs on: each week carries the same volume whichever days are weekends, the
viral spike is sized from that weekly level (not from the day's, which a weekend shrinks),
and usage draws from its own generators, so the weekday never changes the reviews, comments
or collections either.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from governance.accounts.models import Membership, Team, User
from governance.catalog.models import Creator, Model, ModelVersion, VersionState
from governance.community import services
from governance.community.models import Collection, Comment, Favorite, Review
from governance.usage.models import UsageEvent
from governance.usage.services import aggregate_daily_usage

SEED = 11
DAYS = 120
#: A weekend day sees this share of a weekday's usage.
WEEKEND_FACTOR = 0.4
#: The viral model's spike: on each of the last VIRAL_DAYS days, extra uses equal to this
#: share of the average day's usage (it comes from outside the team's weekly rhythm).
VIRAL_DAYS = 2
VIRAL_SHARE = 0.6
#: Kinds of usage event and how often each occurs.
KINDS = [
    (UsageEvent.Kind.DOWNLOAD, 0.5),
    (UsageEvent.Kind.PORTAL_VIEW, 0.3),
    (UsageEvent.Kind.API_READ, 0.12),
    (UsageEvent.Kind.DEPLOYMENT, 0.08),
]
REPOSITORIES = ["studio/campaign-renderer", "research/eval-harness", "studio/product-shots"]
MARKER = "Alice's inking kit"
#: Extra community members (no password: they only exist as authors in the demo).
MEMBERS = [(f"member{n:02d}", "creative-studio" if n % 2 else "ml-research") for n in range(1, 15)]

POSITIVE = [
    "Clean lines and consistent faces; it became our default for {use}.",
    "Works great with {base}. CFG 5, 28 steps, no artefacts.",
    "Love it. The hands are finally right and colors stay faithful to the prompt.",
    "Solid, predictable results. Trained words matter, read the notes first.",
    "Excellent detail at 1024px, our art director approved the first batch.",
]
MIXED = [
    "Good for {use}, but it overcooks skin at weight 1.0; 0.7 is safer.",
    "Decent, though it struggles with text and small props.",
    "Fine for drafts. Needs a second pass for anything client-facing.",
]
NEGATIVE = [
    "Blurry backgrounds and broken hands on {base}; we went back to the previous version.",
    "Inconsistent results, lots of artefacts. Not usable for {use}.",
    "Disappointing: the sample images are clearly cherry-picked.",
]
QUESTIONS = [
    "Which VAE do you pair it with?",
    "Has anyone tried it with ControlNet depth?",
    "Is the pruned file good enough for production?",
    "Any recommended negative prompt?",
]
ANSWERS = [
    "The SDXL VAE fixed washed-out colors for us.",
    "Yes, depth works well at 0.6 strength.",
    "Pruned is identical for inference, we ship that one.",
    "Keep it short: blurry, lowres, watermark.",
]
USES = ["product shots", "storyboards", "concept art", "marketing banners", "UI mockups"]


@dataclass(frozen=True)
class CommunityDemoReport:
    created: bool
    reviews: int = 0
    comments: int = 0
    usage_events: int = 0


def _members(rng: random.Random) -> list[User]:
    teams = {team.slug: team for team in Team.objects.all()}
    people = list(User.objects.filter(username__in=["alice", "bob", "carol", "dave"]))
    for username, slug in MEMBERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": username.title(), "email": f"{username}@example.com"},
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        if slug in teams:
            Membership.objects.get_or_create(user=user, team=teams[slug])
        people.append(user)
    rng.shuffle(people)
    return people


def _at(now, day_offset: int, rng: random.Random):
    return now - timedelta(days=day_offset, hours=rng.randint(0, 10), minutes=rng.randint(0, 59))


def _during(now: datetime, day_offset: int, rng: random.Random) -> datetime:
    """A moment of the local calendar day ``day_offset`` days ago (today: before ``now``), so
    an event counts for the day it was generated for at any hour the demo runs."""
    day = timezone.localdate(now) - timedelta(days=day_offset)
    start = timezone.make_aware(datetime.combine(day, time.min))
    span = min(now - start, timedelta(days=1) - timedelta(seconds=1))
    return start + timedelta(seconds=rng.randint(0, int(span.total_seconds())))


def seed_community_demo(*, seed: int = SEED, days: int = DAYS) -> CommunityDemoReport:
    """Generate the demo community and usage once; ``created=False`` when already there."""
    if Collection.objects.filter(name=MARKER, owner__username="alice").exists():
        return CommunityDemoReport(created=False)
    rng = random.Random(seed)
    now = timezone.now().replace(microsecond=0)
    people = _members(rng)
    alice = User.objects.get(username="alice")
    team_of = {
        m.user_id: m.team_id
        for m in Membership.objects.filter(user__in=people).order_by("team__slug")
    }
    versions = list(
        ModelVersion.objects.filter(model__visibility="company", model__mode="")
        .select_related("model")
        .order_by("model_id", "index", "-pk")
    )
    newest: dict[int, ModelVersion] = {}
    for version in versions:
        newest.setdefault(version.model_id, version)
    models = list(newest)
    if not models or not people:
        return CommunityDemoReport(created=False)
    # Popularity follows a long tail; a few models rise lately, and one little-known model
    # (not among the most popular third) suddenly goes viral.
    ranked = rng.sample(models, len(models))
    weight = {model_id: 1.0 / (rank + 1) ** 0.9 for rank, model_id in enumerate(ranked)}
    rising = set(rng.sample(models, min(3, len(models))))
    tail = [m for m in ranked[len(ranked) // 3 :] if m not in rising]
    viral = rng.choice(tail or ranked)

    with transaction.atomic():
        usage = Usage(random.Random(f"{seed}:usage"), now, people, team_of, newest)
        events = _usage_events(usage, days, weight, rising)
        events += _viral_spike(usage, random.Random(f"{seed}:viral"), days, viral)
        UsageEvent.objects.bulk_create(events, batch_size=2000)
        reviews = _reviews(rng, now, days, people, newest, weight)
        comments = _discussions(rng, now, days, people, newest, weight)
        _favorites_follows_collections(rng, now, people, alice, newest, weight)
    today = timezone.localdate()
    for offset in range(days + 1):
        aggregate_daily_usage(day=today - timedelta(days=offset))
    return CommunityDemoReport(
        created=True, reviews=reviews, comments=comments, usage_events=len(events)
    )


@dataclass(frozen=True)
class Usage:
    """What every generated usage event draws on."""

    rng: random.Random
    now: datetime
    people: list[User]
    team_of: dict[int, int]
    newest: dict[int, ModelVersion]

    def event(self, model_id: int, day_offset: int, rng: random.Random) -> UsageEvent:
        """One use of ``model_id``'s newest version by someone, on that day."""
        user = rng.choice(self.people)
        kind = rng.choices([k for k, _ in KINDS], weights=[w for _, w in KINDS])[0]
        client = {
            "download": rng.choice(["portal", "api", "civitai-api"]),
            "deployment": "ci",
            "api_read": "api",
            "portal_view": "portal",
        }[kind]
        metadata = {}
        if kind == UsageEvent.Kind.DEPLOYMENT:
            repo = rng.choice(REPOSITORIES)
            metadata = {
                "repository": f"git@git.example.com:{repo}.git",
                "commit": f"{rng.getrandbits(160):040x}",
                "pipeline_url": f"https://ci.example.com/{repo}/-/pipelines/"
                f"{rng.randint(1000, 99999)}",
            }
        return UsageEvent(
            kind=kind,
            version=self.newest[model_id],
            user=user,
            team_id=self.team_of.get(user.pk),
            client=client,
            metadata=metadata,
            created_at=_during(self.now, day_offset, rng),
        )


def _daily_level(day_offset: int, days: int) -> float:
    """Uses on an average day of that week: usage grows over the months."""
    return 25 + (days - day_offset) * 0.25


def _usage_events(usage: Usage, days: int, weight, rising) -> list[UsageEvent]:
    """Everyday use: the long tail, the rising models, fewer uses on weekends."""
    models = list(usage.newest)
    today = timezone.localdate(usage.now)
    # A weekday's share of the week, so a week's total is 7 x the level whatever the weekday.
    weekday_factor = 7 / (5 + 2 * WEEKEND_FACTOR)
    events = []
    for day in range(days, -1, -1):
        factor = weekday_factor
        if (today - timedelta(days=day)).weekday() >= 5:
            factor *= WEEKEND_FACTOR
        day_weight = [
            weight[m] * (1 + 4 * (days - day) / days if m in rising else 1.0) for m in models
        ]
        count = round(_daily_level(day, days) * factor)
        for model_id in usage.rng.choices(models, weights=day_weight, k=count):
            events.append(usage.event(model_id, day, usage.rng))
    return events


def _viral_spike(usage: Usage, rng: random.Random, days: int, viral: int) -> list[UsageEvent]:
    """The viral model's sudden extra use on the last VIRAL_DAYS days (its own generator:
    the same spike whatever the weekday)."""
    events = []
    for day in range(min(VIRAL_DAYS, days + 1)):
        for _ in range(round(VIRAL_SHARE * _daily_level(day, days))):
            events.append(usage.event(viral, day, rng))
    return events


def _reviews(rng, now, days, people, newest, weight) -> int:
    count = 0
    models = list(newest)
    for model_id in models:
        n = min(len(people), int(weight[model_id] * 14) + rng.randint(0, 2))
        # Each model has a "true" quality; ratings scatter around it.
        quality = rng.uniform(2.4, 4.8)
        for author in rng.sample(people, n):
            rating = max(1, min(5, round(rng.gauss(quality, 0.8))))
            pool = POSITIVE if rating >= 4 else MIXED if rating == 3 else NEGATIVE
            version = newest[model_id]
            text = rng.choice(pool).format(use=rng.choice(USES), base=version.base_model)
            review = services.write_review(user=author, version=version, rating=rating, text=text)
            when = _at(now, rng.randint(1, days), rng)
            Review.objects.filter(pk=review.pk).update(created_at=when, updated_at=when)
            count += 1
    reviews = list(Review.objects.filter(status="visible").select_related("model"))
    for review in reviews:
        for voter in rng.sample(people, rng.randint(0, 4)):
            if voter.pk != review.user_id:
                services.vote_review(user=voter, review=review, helpful=rng.random() < 0.85)
    # One edited review, so the history view has something to show.
    if reviews:
        edited = reviews[0]
        services.write_review(
            user=edited.user,
            version=edited.version,
            rating=edited.rating,
            text=edited.text + " Update: v2 fixed the remaining issues.",
        )
    return count


def _discussions(rng, now, days, people, newest, weight) -> int:
    count = 0
    hot = sorted(newest, key=lambda m: -weight[m])[:12]
    for model_id in hot:
        model = newest[model_id].model
        for _ in range(rng.randint(1, 3)):
            question = services.post_comment(
                user=rng.choice(people), model=model, text=rng.choice(QUESTIONS)
            )
            answer = services.post_comment(
                user=rng.choice(people), model=model, text=rng.choice(ANSWERS), parent=question
            )
            thanks = services.post_comment(
                user=question.author, model=model, text="Thanks, that helped!", parent=answer
            )
            when = _at(now, rng.randint(1, days), rng)
            for offset, comment in enumerate((question, answer, thanks)):
                at = when + timedelta(hours=offset * 3)
                Comment.objects.filter(pk=comment.pk).update(created_at=at, updated_at=at)
            count += 3
    # The moderation demo: a toxic comment waits in the queue, and a report on a review.
    target = newest[hot[0]].model
    services.post_comment(
        user=people[-1],
        model=target,
        text="Whoever trained this is a fucking idiot, total garbage.",
    )
    review = Review.objects.filter(model=target, status="visible").first()
    if review is not None:
        reporter = next(p for p in people if p.pk != review.user_id)
        services.report_content(
            reporter=reporter, review=review, reason="Reads like an ad for another model."
        )
    return count + 1


def _favorites_follows_collections(rng, now, people, alice, newest, weight) -> None:
    models = list(newest)
    for person in people:
        picks = rng.choices(models, weights=[weight[m] for m in models], k=rng.randint(2, 8))
        for model_id in set(picks):
            services.set_favorite(user=person, model=newest[model_id].model, favorite=True)
        Favorite.objects.filter(user=person).update(created_at=_at(now, rng.randint(0, 90), rng))
        services.follow(user=person, model=newest[rng.choice(models)].model)
    creators = list(
        Model.objects.filter(pk__in=models)
        .exclude(creator=None)
        .values_list("creator", flat=True)
        .distinct()[:5]
    )
    for person, creator_id in zip(people, creators, strict=False):
        services.follow(user=person, creator=Creator.objects.get(pk=creator_id))

    studio = Team.objects.filter(slug="creative-studio").first()
    research = Team.objects.filter(slug="ml-research").first()
    ranked = sorted(models, key=lambda m: -weight[m])
    plans = [
        (alice, MARKER, "private", None, ranked[:4], "My go-to models for line art."),
        (
            User.objects.get(username="bob"),
            "Creative Studio approved set",
            "team",
            studio,
            ranked[2:9],
            "Cleared for client work; ask Bob before adding.",
        ),
        (
            User.objects.get(username="carol"),
            "Research baselines",
            "company",
            None,
            ranked[5:11],
            "Baselines we compare every fine-tune against.",
        ),
        (
            User.objects.get(username="dave"),
            "ML Research: under evaluation",
            "team",
            research,
            ranked[8:12],
            "Not yet cleared.",
        ),
    ]
    for owner, name, visibility, team, picks, description in plans:
        if visibility == "team" and team is None:
            continue
        collection = services.create_collection(
            owner=owner, name=name, description=description, visibility=visibility, team=team
        )
        for model_id in picks:
            version = newest[model_id]
            services.add_to_collection(
                user=owner,
                collection=collection,
                model=version.model,
                note=rng.choice(
                    [
                        "Great at 0.7 weight.",
                        "Use with the SDXL VAE.",
                        "",
                        "Pairs well with the studio palette.",
                    ]
                ),
                version=version if version.state == VersionState.APPROVED else None,
            )
