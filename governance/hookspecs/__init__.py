"""The Hubgate plugin API: hook markers, hook specifications and the values they exchange.

This is the only Hubgate module a plugin imports. Everything else in ``governance`` is private
and may change. A plugin is any module or object with functions named after the hooks below,
decorated with :data:`hookimpl`, and registered in the ``hubgate`` entry-point group::

    # pyproject.toml of a third-party package
    [project.entry-points.hubgate]
    my_scanner = "my_package.scanner"

Hooks receive narrow, immutable snapshots (frozen dataclasses of ids and plain values), never
ORM objects, querysets or requests. Hooks either *collect* (every enabled plugin is called
and every result is kept) or *decide* (called until the first plugin returns non-``None``).
Hubgate calls each implementation on its own: a plugin that raises is recorded as a failed
result carrying its name and error, the other plugins still run, and the caller decides what
the failure means (a scan, for instance, fails closed). Never rely on the order in which
plugins are called.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pluggy

from ._licensing import (
    LICENSE_TERMS,
    EffectiveTerms,
    IntendedUseProfile,
    LicenseEvaluation,
    LicenseReason,
    LicenseRef,
    LicenseTerm,
    LicenseVerdict,
    Permission,
    UseRestriction,
)
from ._settings import (
    PluginConfigError,
    PluginSettings,
    SettingCheck,
)
from ._values import (
    FileFormat,
    FileToScan,
    Finding,
    ModelSnapshot,
    Recommendation,
    ScanBudget,
    ScanBudgetExceeded,
    Score,
    Severity,
    UserSnapshot,
    VersionSnapshot,
)

PROJECT_NAME = "hubgate"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
#: Decorate every hook implementation with this marker.
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


# --- Setup phase ---------------------------------------------------------------------------


@hookspec
def hubgate_configure(config: Mapping[str, Any]) -> None:
    """Receive this plugin's own configuration, once, when the plugin is loaded.

    Called for each plugin separately, before any other hook of that plugin, with the mapping
    found under the plugin's entry-point name in the ``HUBGATE_PLUGINS`` setting (an empty
    mapping when there is none).

    A plugin should declare its settings instead of checking them here: a module-level
    ``hubgate_settings = PluginSettings(defaults=..., required=..., types=..., checks=...)``
    is validated by the plugin manager before this hook runs (an invalid setting is a
    :class:`PluginConfigError` naming the plugin and the key, and the plugin is not loaded),
    and the validated values are then current in ``hubgate_settings``. A plugin that declares
    its settings needs this hook only to derive state from them.

    :param config: this plugin's settings, frozen; when the plugin declares
        ``hubgate_settings``, validated and with the defaults applied.
    :returns: nothing; the return value is ignored.

    If the implementation raises (for example on an invalid option), the plugin is not
    loaded, the error is logged and reported by ``manage.py plugins`` and by Django's system
    checks, and Hubgate carries on without it.
    """


# --- Gate phase: scanning ------------------------------------------------------------------


@hookspec
def hubgate_scan_file(file: FileToScan) -> Sequence[Finding] | None:
    """Examine one stored file and report what is wrong with it.

    Called when a file is ingested, when it is re-scanned, and by ``hubgate scan``. Collects:
    every enabled scanner is called and all findings are kept.

    :param file: the file to examine; hostile input, never to be loaded or executed. Read it
        through ``file.open()``, which keeps the scan within its budget of time and bytes.
    :returns: the findings (an empty sequence when the file is clean as far as this scanner
        can tell), or ``None`` when the scanner does not apply to this kind of file.

    If the implementation raises, the scan records a failed result with the scanner's name
    and error and the file's scan fails closed (it is treated as not clean). Once the scan's
    budget is spent, reads raise :class:`ScanBudgetExceeded` (let it propagate), scanners not
    yet called are skipped, and the scan gets a high ``scan_budget_exceeded`` finding.
    """


# --- Gate phase: scoring -------------------------------------------------------------------


@hookspec
def hubgate_score_version(version: VersionSnapshot) -> Score | None:
    """Score one model version on a quality the plugin measures.

    Called when a version is gated and whenever its scores are refreshed. Collects: every
    enabled scorer is called and every score is kept.

    :param version: the version with its model's metadata, tags, files and hub statistics.
    :returns: a :class:`Score` with a value in [0, 1] and an explanation, or ``None`` when the
        scorer has nothing to say about this version.

    If the implementation raises, or returns something that is not a valid :class:`Score`, the
    failure is recorded under the plugin's name and the other scores are still computed.
    """


# --- Use phase: recommendations ------------------------------------------------------------


@hookspec
def hubgate_recommend_similar(
    model: ModelSnapshot, candidates: Sequence[ModelSnapshot], limit: int
) -> Sequence[Recommendation] | None:
    """Recommend models similar to ``model``, chosen among ``candidates``.

    Called when a model page or the API asks for similar models. Collects: every enabled
    recommender is called; Hubgate merges the lists (a model recommended by several plugins
    keeps its best score and every reason) and drops any model that is not a candidate, so a
    recommender can never reveal a model the user may not see.

    :param model: the model to find neighbours of.
    :param candidates: the models the user may see, ``model`` itself excluded.
    :param limit: the most recommendations the caller will show.
    :returns: up to ``limit`` recommendations, best first, or ``None`` to abstain.

    If the implementation raises, its failure is recorded and the other recommenders'
    results are still used.
    """


@hookspec
def hubgate_recommend_for_user(
    user: UserSnapshot, candidates: Sequence[ModelSnapshot], limit: int
) -> Sequence[Recommendation] | None:
    """Recommend models for a person, chosen among ``candidates``.

    Called for a user's "for you" recommendations. Collects, merges and filters exactly like
    :func:`hubgate_recommend_similar`.

    :param user: the person, their teams and the models they have used.
    :param candidates: the models the user may see and has not used yet.
    :param limit: the most recommendations the caller will show.
    :returns: up to ``limit`` recommendations, best first, or ``None`` to abstain.

    If the implementation raises, its failure is recorded and the other recommenders'
    results are still used.
    """


@hookspec
def hubgate_evaluate_license(
    terms: EffectiveTerms, profile: IntendedUseProfile
) -> LicenseEvaluation | None:
    """Judge whether a version's effective license terms allow an intended use.

    Called by the license gate on every request, by ``manage.py licenses evaluate``, by the
    API and reports, and again by the re-evaluation task whenever a license's terms, a
    creator's hub flags or a profile change. Collects: every enabled evaluator is called and
    Hubgate combines the answers failing closed — any ``non_compliant`` makes the verdict
    non-compliant; otherwise any ``needs_review`` (or a plugin that raised or answered
    something invalid) makes it need review; it is compliant only if at least one evaluator
    answered and all said compliant. No answer at all means "needs review".

    :param terms: the version's effective terms (declared license ∩ hub flags ∩ base model
        license), with the clause behind every term and what could not be established.
    :param profile: the intended use: the rights it needs, whether the team accepts
        use-based restrictions, where it happens and the company's revenue.
    :returns: a :class:`LicenseEvaluation` whose every reason cites the term and clause
        that decided it, or ``None`` to abstain.

    If the implementation raises, or returns something that is not a valid
    :class:`LicenseEvaluation`, the failure is recorded under the plugin's name and the
    verdict becomes "needs review" (it can never make a version compliant).
    """


# --- Use phase: community moderation -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TextToModerate:
    """A review or comment someone wants to publish, without any ORM object."""

    #: ``"review"`` or ``"comment"``.
    kind: str
    text: str
    author_id: int | None
    #: The model the text is about.
    model_id: int


class ModerationAction(enum.StrEnum):
    """What a moderation plugin advises: publish now, or hold for a human moderator."""

    ALLOW = "allow"
    HOLD = "hold"


@dataclass(frozen=True, slots=True)
class ModerationVerdict:
    """One plugin's opinion of a text: allow or hold, why, and (optionally) its sentiment."""

    action: ModerationAction
    #: Short reasons a moderator reads, e.g. ``("profanity",)``; empty when allowed.
    reasons: tuple[str, ...] = ()
    #: How toxic the text looks, in [0, 1].
    toxicity: float = 0.0
    #: How much the text looks like spam, in [0, 1].
    spam: float = 0.0
    #: Sentiment in [-1, 1] (negative to positive), or ``None`` when the plugin has no view.
    sentiment: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "action", ModerationAction(self.action))
        object.__setattr__(self, "reasons", tuple(self.reasons))
        for name in ("toxicity", "spam"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must lie in [0, 1], got {value!r}")
        if self.sentiment is not None and not -1.0 <= self.sentiment <= 1.0:
            raise ValueError(f"sentiment must lie in [-1, 1], got {self.sentiment!r}")


@hookspec
def hubgate_moderate_text(text: TextToModerate) -> ModerationVerdict | None:
    """Check a review or comment for toxicity and spam before it is published.

    Called, offline, every time a review or comment is written or edited. Collects: every
    enabled moderation plugin is called; the text is held for a moderator when any plugin
    answers ``hold``; its sentiment is the mean of the sentiments given.

    :param text: the text, what kind it is, its author's id and the model it is about.
    :returns: a :class:`ModerationVerdict`, or ``None`` to abstain.

    If the implementation raises, or returns something that is not a valid
    :class:`ModerationVerdict`, the failure is recorded under the plugin's name and the text
    is held for a moderator (moderation fails closed); it is never lost.
    """


# --- Use phase: search ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """What someone searched for: the words and the filters, as plain values.

    A backend should apply the filters itself when it can (it then returns better-filled
    pages); Hubgate applies them again, with the user's visibility, to whatever comes back.
    """

    #: The words as typed (may be empty: then a backend may abstain).
    query: str
    #: ``"lexical"``, ``"semantic"`` or ``"hybrid"``; a backend answers only the modes it serves.
    mode: str = "hybrid"
    #: Model types (CivitAI's ``type`` values); empty means any.
    types: tuple[str, ...] = ()
    base_models: tuple[str, ...] = ()
    #: Tags the model must carry, every one of them, lower-case.
    tags: tuple[str, ...] = ()
    #: CivitAI ``allowCommercialUse`` values the model must allow, every one of them.
    commercial_use: tuple[str, ...] = ()
    #: The highest NSFW browsing level (bit value) allowed, or ``None`` for any.
    max_nsfw_level: int | None = None
    #: Lifecycle states; a model matches when one of its versions is in one of them.
    states: tuple[str, ...] = ()
    #: Slug of the owning team, or ``None``.
    team: str | None = None


@dataclass(frozen=True, slots=True)
class SearchMatch:
    """One model a search backend found, with the backend's own relevance (higher is better).

    Scores of different backends are not comparable: Hubgate fuses the backends' *ranks*.
    """

    model_id: int
    score: float
    #: What kind of evidence this is, e.g. ``"lexical"``, ``"semantic"``, ``"typo"``.
    kind: str = "lexical"


@hookspec
def hubgate_search_models(request: SearchRequest, limit: int) -> Sequence[SearchMatch] | None:
    """Find the models that best match a search, best first.

    Called by the one search service behind the portal, the REST API (``/api/search/``), the
    CivitAI-compatible ``query`` parameter and ``manage.py search``. Collects: every enabled
    backend is called and their ranked lists are fused by reciprocal rank fusion (a model
    found by several backends ranks higher). Hubgate then drops every model the user may not
    see or that fails the filters, whatever a backend returned, so a backend can never reveal
    a model to someone who may not see it.

    :param request: the words, the mode and the filters.
    :param limit: the most matches the caller will use; return at most this many.
    :returns: up to ``limit`` :class:`SearchMatch` values, best first, or ``None`` to abstain
        (the backend does not serve this mode, or has no index yet).

    If the implementation raises, its failure is recorded and logged, the search goes on
    with the other backends and the results say which backend failed; only when every
    backend fails does the search itself fail.
    """


__all__ = [
    "LICENSE_TERMS",
    "PROJECT_NAME",
    "EffectiveTerms",
    "FileFormat",
    "FileToScan",
    "Finding",
    "IntendedUseProfile",
    "LicenseEvaluation",
    "LicenseReason",
    "LicenseRef",
    "LicenseTerm",
    "LicenseVerdict",
    "ModelSnapshot",
    "ModerationAction",
    "ModerationVerdict",
    "Permission",
    "PluginConfigError",
    "PluginSettings",
    "Recommendation",
    "ScanBudget",
    "ScanBudgetExceeded",
    "Score",
    "SearchMatch",
    "SearchRequest",
    "SettingCheck",
    "Severity",
    "TextToModerate",
    "UseRestriction",
    "UserSnapshot",
    "VersionSnapshot",
    "hookimpl",
    "hookspec",
    "hubgate_configure",
    "hubgate_evaluate_license",
    "hubgate_moderate_text",
    "hubgate_recommend_for_user",
    "hubgate_recommend_similar",
    "hubgate_scan_file",
    "hubgate_score_version",
    "hubgate_search_models",
]
