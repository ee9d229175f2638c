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
import io
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, BinaryIO

import pluggy

PROJECT_NAME = "hubgate"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
#: Decorate every hook implementation with this marker.
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


# --- Values exchanged with plugins ---------------------------------------------------------


class Severity(enum.StrEnum):
    """How bad a finding is. Compare with :meth:`rank`, not alphabetically."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {
    Severity.INFO: 0,
    Severity.LOW: 1,
    Severity.MEDIUM: 2,
    Severity.HIGH: 3,
    Severity.CRITICAL: 4,
}


class FileFormat(enum.StrEnum):
    """What a file is, identified by Hubgate from its content (never from its name)."""

    PYTORCH_ZIP = "pytorch_zip"
    PYTORCH_LEGACY_TAR = "pytorch_legacy_tar"
    PICKLE = "pickle"
    SAFETENSORS = "safetensors"
    GGUF = "gguf"
    NUMPY_NPY = "numpy_npy"
    NUMPY_NPZ = "numpy_npz"
    HDF5 = "hdf5"
    KERAS_ZIP = "keras_zip"
    ONNX = "onnx"
    ZIP = "zip"
    SEVEN_ZIP = "7z"
    TAR = "tar"
    GZIP = "gzip"
    UNKNOWN = "unknown"


class ScanBudgetExceeded(Exception):
    """The scan ran out of time or of bytes to read: raised by :meth:`FileToScan.open`'s
    reader. Let it propagate: Hubgate records the scanner as failed (the scan fails closed)
    and ends the scan with a ``scan_budget_exceeded`` finding."""


class ScanBudget:
    """What one scan of one file may spend, shared by all its scanners (0: no limit).

    The only mutable value a hook receives: it counts what the scan has read so far. Once
    spent it stays spent, so a scanner that catches the exception cannot read on.
    """

    __slots__ = ("_clock", "_started", "bytes_read", "exceeded", "max_bytes", "max_seconds")

    def __init__(
        self,
        *,
        max_seconds: float = 0,
        max_bytes: int = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_seconds = max_seconds
        self.max_bytes = max_bytes
        self.bytes_read = 0
        #: Why the budget ran out ("" while it has not).
        self.exceeded = ""
        self._clock = clock
        self._started = clock()

    @property
    def elapsed(self) -> float:
        return self._clock() - self._started

    @property
    def deadline(self) -> float | None:
        """The ``time.monotonic()`` value after which no time is left (None: no time limit)."""
        return self._started + self.max_seconds if self.max_seconds else None

    def spent(self, read: int = 0) -> bool:
        """Count ``read`` more bytes; whether the budget is spent (``exceeded`` says why)."""
        self.bytes_read += read
        if not self.exceeded:
            if self.max_bytes and self.bytes_read > self.max_bytes:
                self.exceeded = f"read more than {self.max_bytes} bytes"
            elif self.max_seconds and self.elapsed > self.max_seconds:
                self.exceeded = f"ran longer than {self.max_seconds:g} seconds"
        return bool(self.exceeded)

    def check(self, read: int = 0) -> None:
        """Count ``read`` more bytes; raise :class:`ScanBudgetExceeded` if the budget is spent."""
        if self.spent(read):
            raise ScanBudgetExceeded(f"The scan's budget is spent: it {self.exceeded}.")


class _BudgetedFile(io.RawIOBase):
    """A read-only file whose every read is charged to a :class:`ScanBudget`."""

    def __init__(self, path: Path, budget: ScanBudget) -> None:
        self._file = io.FileIO(path, "rb")
        self._budget = budget

    @property
    def name(self) -> str:
        return str(self._file.name)

    @property
    def mode(self) -> str:
        return "rb"

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer) -> int | None:  # type: ignore[override]
        self._budget.check()  # no time left: not even one more read
        count = self._file.readinto(buffer)
        self._budget.check(count or 0)
        return count

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def close(self) -> None:
        self._file.close()
        super().close()


@dataclass(frozen=True, slots=True)
class FileToScan:
    """One stored file, readable at ``path`` on the local filesystem.

    The file is hostile input: read its bytes, never import, unpickle or execute them.
    Read it through :meth:`open`, which keeps the scan within its time and bytes budget.
    """

    path: Path
    #: The name the file was published or uploaded under; it may lie about the content.
    name: str
    size: int
    sha256: str | None = None
    #: The format the hub or uploader declared ("SafeTensor", "PickleTensor", …), if any.
    declared_format: str | None = None
    #: The format Hubgate identified from the content; a scanner may still look for itself.
    detected_format: FileFormat = FileFormat.UNKNOWN
    #: What the scan may still spend; :meth:`open` charges reads to it. None: no limit.
    budget: ScanBudget | None = field(default=None, compare=False, repr=False)

    def open(self) -> BinaryIO:
        """Open the file for binary reading (seekable, buffered) within the scan's budget.

        A read past the budget's time or bytes raises :class:`ScanBudgetExceeded`.
        """
        if self.budget is None:
            return open(self.path, "rb")
        return io.BufferedReader(_BudgetedFile(self.path, self.budget))  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing a scanner found in a file."""

    #: Stable machine-readable rule id, e.g. ``"safetensors.offsets_overlap"``.
    code: str
    severity: Severity
    message: str
    #: Path of the member inside a container (zip member, nested archive), or None.
    member: str | None = None
    #: JSON-serialisable facts that let a reviewer act on the finding.
    detail: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "severity", Severity(self.severity))


@dataclass(frozen=True, slots=True)
class VersionSnapshot:
    """A model version as scorers see it."""

    id: int
    model_id: int
    model_name: str
    model_type: str
    name: str
    base_model: str
    description: str
    model_description: str
    trained_words: tuple[str, ...]
    tags: tuple[str, ...]
    file_count: int
    has_primary_file: bool
    hashed_file_count: int
    image_count: int
    images_with_meta: int
    license_flags_set: bool
    download_count: int = 0
    rating: float = 0.0
    rating_count: int = 0
    thumbs_up_count: int = 0
    thumbs_down_count: int = 0
    published_at: datetime | None = None
    # Added for the security, license-clarity, community-quality and momentum scorers;
    # defaults mean "not known", and a scorer seeing them should abstain or say so.
    #: Files whose content Hubgate has scanned (finished scans), and those it quarantined.
    scanned_file_count: int = 0
    quarantined_file_count: int = 0
    #: ``(severity, count)`` of scan findings on this version's files, worst first.
    finding_counts: tuple[tuple[str, int], ...] = ()
    #: The hub's own pickle/virus scan results for the files ("Success", "Danger", …).
    hub_scan_results: tuple[str, ...] = ()
    #: The declared format of each file ("SafeTensor", "PickleTensor", "GGUF", …).
    file_formats: tuple[str, ...] = ()
    #: Names of the licenses in play (declared and base model) and the effective terms'
    #: ``(term, permission)`` pairs; ``license_unknowns`` says what could not be established.
    license_names: tuple[str, ...] = ()
    license_permissions: tuple[tuple[str, str], ...] = ()
    license_unknowns: tuple[str, ...] = ()
    #: Ratings Hubgate's own users gave (1-5 stars), as ``(star, count)`` pairs.
    local_ratings: tuple[tuple[int, int], ...] = ()
    #: Uses recorded in Hubgate (downloads, deployments) in the last 30 days and the 30
    #: days before, and the teams that used it in the last 30 days.
    recent_usage_count: int = 0
    previous_usage_count: int = 0
    recent_team_count: int = 0
    # Added for the engagement, availability and commercial-rights scorers (defaults: unknown).
    #: The model's hub downloads and favorites (the hub counts favorites per model, not per
    #: version), and how many Hubgate users favorited the model.
    model_download_count: int = 0
    model_favorite_count: int = 0
    local_favorite_count: int = 0
    #: The hub's ``mode`` for the model ("" normal, "Archived", "TakenDown") and the version's
    #: availability ("Public", "EarlyAccess", "Private", …).
    model_mode: str = ""
    availability: str = "Public"
    #: The commercial uses the creator allows ("Image", "RentCivit", "Rent", "Sell");
    #: read with ``license_flags_set`` (an upload without flags is unknown, not "none").
    commercial_uses: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Score:
    """A scorer's judgement of one version: ``value`` in [0, 1], higher is better."""

    #: Metric name, unique per scorer, e.g. ``"metadata_completeness"``.
    name: str
    value: float
    #: Plain-language reasons a reviewer can read.
    explanation: str

    def __post_init__(self) -> None:
        if not (isinstance(self.value, int | float) and math.isfinite(self.value)):
            raise ValueError(f"score {self.name!r} must be a finite number, got {self.value!r}")
        if not 0.0 <= self.value <= 1.0:
            raise ValueError(f"score {self.name!r} must lie in [0, 1], got {self.value!r}")


@dataclass(frozen=True, slots=True)
class ModelSnapshot:
    """A model as recommenders see it."""

    id: int
    name: str
    type: str
    tags: frozenset[str]
    base_models: frozenset[str]
    creator: str
    nsfw: bool = False
    download_count: int = 0
    rating: float = 0.0
    # Added for the content, collaborative, compatibility, trending and hybrid recommenders;
    # all default to "nothing known".
    trained_words: frozenset[str] = frozenset()
    #: Families of the base models (``"sdxl"``, ``"sd1"``, ``"flux1"``, …): add-ons of one
    #: family load on checkpoints of the same family.
    base_model_families: frozenset[str] = frozenset()
    #: Precomputed item-item neighbours from implicit feedback (downloads, favorites,
    #: ratings, collections): ``(model_id, similarity in [0, 1])``, most similar first.
    neighbors: tuple[tuple[int, float], ...] = ()
    #: Time-decayed recent usage in [0, 1] (1 = the hottest model of the catalog).
    trend: float = 0.0
    #: How many people and teams used the model in Hubgate (implicit feedback events).
    interaction_count: int = 0
    #: A unit-length text embedding of the model, or empty when none is stored.
    embedding: tuple[float, ...] = ()
    #: The composite quality of its newest version in [0, 1], or ``None`` when unscored.
    quality: float | None = None


@dataclass(frozen=True, slots=True)
class UserSnapshot:
    """The person recommendations are for, with the models they have used or chosen."""

    id: int
    username: str
    team_ids: tuple[int, ...]
    #: Models the user or their teams use, most relevant first.
    history: tuple[ModelSnapshot, ...]
    #: Implicit-feedback strength per history model, ``(model_id, weight > 0)``; a model
    #: missing here counts with weight 1.
    weights: tuple[tuple[int, float], ...] = ()


@dataclass(frozen=True, slots=True)
class Recommendation:
    """One recommended model with a relevance in [0, 1] and why it was recommended."""

    model_id: int
    score: float
    reason: str

    def __post_init__(self) -> None:
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"recommendation score must lie in [0, 1], got {self.score!r}")


# --- Plugin settings -----------------------------------------------------------------------


class PluginConfigError(ValueError):
    """A site's settings for one plugin are invalid; the plugin is not loaded."""

    def __init__(self, plugin: str, key: str | None, problem: str) -> None:
        where = f"setting {key!r}" if key is not None else "settings"
        super().__init__(f"plugin {plugin!r}: {where} {problem}")
        self.plugin = plugin
        self.key = key


#: A check on one setting: a predicate and what it requires, in words ("a number in [0, 1]").
SettingCheck = tuple[Callable[[Any], bool], str]


class PluginSettings:
    """A plugin's settings, declared once, validated once by the plugin manager.

    A plugin module declares, at module level::

        hubgate_settings = PluginSettings(
            defaults={"max_header_bytes": 100_000_000},
            types={"max_header_bytes": int},
            checks={"max_header_bytes": (lambda v: v >= 2, "at least 2")},
        )

    and reads its values with ``hubgate_settings["max_header_bytes"]`` (or ``.current``, the
    whole frozen mapping, taken once where several values must agree). When the plugin is
    loaded, the plugin manager validates the site's ``HUBGATE_PLUGINS[<name>]`` against the
    declaration: unknown keys, missing ``required`` keys, values of the wrong ``types``
    (``bool`` is never an ``int``; an ``int`` is a ``float``) and failed ``checks`` raise
    :class:`PluginConfigError` naming the plugin and the key, and the plugin is reported as
    failed to load, like one that cannot be imported. ``validate`` receives the whole merged
    mapping for rules that span keys and raises ``ValueError`` to refuse it. Lists become
    tuples and dicts read-only mappings: the validated settings are frozen. Until the plugin
    manager applies the site's settings, the defaults are current.
    """

    def __init__(
        self,
        *,
        defaults: Mapping[str, Any] | None = None,
        required: Sequence[str] = (),
        types: Mapping[str, type | tuple[type, ...]] | None = None,
        checks: Mapping[str, SettingCheck] | None = None,
        validate: Callable[[Mapping[str, Any]], None] | None = None,
    ) -> None:
        self.defaults: Mapping[str, Any] = MappingProxyType(dict(defaults or {}))
        self.required = tuple(required)
        self.types: Mapping[str, type | tuple[type, ...]] = MappingProxyType(dict(types or {}))
        self.checks: Mapping[str, SettingCheck] = MappingProxyType(dict(checks or {}))
        self.cross_check = validate
        self._current: Mapping[str, Any] = MappingProxyType(
            {key: _frozen(value) for key, value in self.defaults.items()}
        )

    @property
    def known_keys(self) -> frozenset[str]:
        """Every setting the plugin declares (a default, a type or as required)."""
        return frozenset(self.defaults) | frozenset(self.required) | frozenset(self.types)

    @property
    def current(self) -> Mapping[str, Any]:
        """The settings in force: the last validated ones, or the defaults."""
        return self._current

    def __getitem__(self, key: str) -> Any:
        return self._current[key]

    def validate(self, config: Mapping[str, Any], *, plugin: str) -> Mapping[str, Any]:
        """The defaults overlaid with ``config``, checked and frozen; does not apply them.

        :raises PluginConfigError: naming ``plugin`` and the offending key.
        """
        if not isinstance(config, Mapping):
            raise PluginConfigError(plugin, None, f"must be a mapping, not {type(config).__name__}")
        unknown = sorted(set(config) - self.known_keys)
        if unknown:
            raise PluginConfigError(plugin, unknown[0], "is not a setting of this plugin")
        merged = {**self.defaults, **config}
        for key in self.required:
            if merged.get(key) is None:
                raise PluginConfigError(plugin, key, "is required")
        for key, expected in self.types.items():
            if key in merged and not _is_instance(merged[key], expected):
                raise PluginConfigError(
                    plugin, key, f"must be {_type_words(expected)}, got {merged[key]!r}"
                )
        for key, (ok, words) in self.checks.items():
            value = merged.get(key)
            if value is not None and not ok(value):
                raise PluginConfigError(plugin, key, f"must be {words}, got {value!r}")
        frozen = {key: _frozen(value) for key, value in merged.items()}
        if self.cross_check is not None:
            try:
                self.cross_check(MappingProxyType(frozen))
            except ValueError as exc:
                raise PluginConfigError(plugin, None, f"are invalid: {exc}") from exc
        return MappingProxyType(frozen)

    def apply(self, config: Mapping[str, Any], *, plugin: str = "this plugin") -> Mapping[str, Any]:
        """Validate ``config`` and make it current (the plugin manager calls this on load)."""
        self._current = self.validate(config, plugin=plugin)
        return self._current


def _is_instance(value: Any, expected: type | tuple[type, ...]) -> bool:
    types = expected if isinstance(expected, tuple) else (expected,)
    if isinstance(value, bool) and bool not in types:
        return False
    if isinstance(value, int) and float in types:
        return True
    if isinstance(value, list | tuple) and (list in types or tuple in types):
        return True
    return isinstance(value, types)


def _type_words(expected: type | tuple[type, ...]) -> str:
    types = expected if isinstance(expected, tuple) else (expected,)
    words = {int: "an integer", float: "a number", str: "a string", bool: "true or false"}
    words |= {list: "a list", tuple: "a list", dict: "a mapping", type(None): "null"}
    return " or ".join(dict.fromkeys(words.get(t, t.__name__) for t in types))


def _frozen(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(_frozen(item) for item in value)
    if isinstance(value, Mapping):
        return MappingProxyType({key: _frozen(item) for key, item in value.items()})
    return value


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


# --- Gate phase: licensing -----------------------------------------------------------------


class Permission(enum.StrEnum):
    """How a license (or a creator's hub flags) treats one right. Compare with :meth:`rank`:
    the stricter of two answers is the one with the higher rank."""

    ALLOWED = "allowed"
    #: Allowed if the listed conditions are met (attribution, passing the license on, …).
    CONDITIONAL = "conditional"
    #: The text is unclear or Hubgate's catalog is not sure: a lawyer must read it.
    REVIEW = "review"
    PROHIBITED = "prohibited"

    @property
    def rank(self) -> int:
        return _PERMISSION_RANK[self]


_PERMISSION_RANK = {
    Permission.ALLOWED: 0,
    Permission.CONDITIONAL: 1,
    Permission.REVIEW: 2,
    Permission.PROHIBITED: 3,
}

#: The rights every license in the catalog is described by, each phrased as a freedom.
LICENSE_TERMS: tuple[str, ...] = (
    "commercial_outputs",  # use generated outputs commercially
    "commercial_use",  # run the model itself for a commercial purpose (production, revenue)
    "hosting",  # offer the model to third parties as a hosted (generation) service
    "sell_model",  # sell or license the model, or merges of it, for a fee
    "derivatives",  # create and share fine-tunes, merges and other derivatives
    "redistribution",  # give copies of the model to third parties
    "relicense_derivatives",  # share derivatives under other terms (no share-alike)
    "train_on_outputs",  # use outputs to train other models
    "use_without_credit",  # use it without crediting the licensor or creator
)


class LicenseVerdict(enum.StrEnum):
    """The answer to "may this team do this with it?". Higher :meth:`rank` is worse."""

    COMPLIANT = "compliant"
    NEEDS_REVIEW = "needs_review"
    NON_COMPLIANT = "non_compliant"

    @property
    def rank(self) -> int:
        return _VERDICT_RANK[self]


_VERDICT_RANK = {
    LicenseVerdict.COMPLIANT: 0,
    LicenseVerdict.NEEDS_REVIEW: 1,
    LicenseVerdict.NON_COMPLIANT: 2,
}


@dataclass(frozen=True, slots=True)
class LicenseTerm:
    """What the layers of a version's license say about one right, the strictest winning."""

    #: One of :data:`LICENSE_TERMS`.
    name: str
    permission: Permission
    #: Where the deciding answer comes from, e.g. ``"FLUX.1 [dev] Non-Commercial License v1"``
    #: or ``"CivitAI permission flags"``.
    source: str
    #: The clause that decides, e.g. ``"§2(d) Outputs"`` or ``"allowCommercialUse"``.
    clause: str
    note: str = ""
    #: What must be done for a ``conditional`` right (give a copy of the license, …).
    conditions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "permission", Permission(self.permission))
        if self.name not in LICENSE_TERMS:
            raise ValueError(f"unknown license term {self.name!r}")


@dataclass(frozen=True, slots=True)
class UseRestriction:
    """One use-based restriction (an OpenRAIL Attachment A item, an acceptable-use policy)."""

    text: str
    source: str
    clause: str


@dataclass(frozen=True, slots=True)
class LicenseRef:
    """A license in play for a version, and why it is in play."""

    key: str
    name: str
    #: The SPDX identifier when the license has one, else ``None``.
    spdx_id: str | None
    version: int
    url: str
    #: ``"base"`` (the base model's license) or ``"declared"`` (the model's own).
    role: str


@dataclass(frozen=True, slots=True)
class EffectiveTerms:
    """A version's terms: its declared license ∩ the creator's hub flags ∩ its base model's
    license. When something could not be established, ``unknown`` says what and why."""

    version_id: int
    model_id: int
    model_name: str
    version_name: str
    model_type: str
    base_model: str
    hub: str
    licenses: tuple[LicenseRef, ...]
    #: One entry per name in :data:`LICENSE_TERMS`.
    terms: Mapping[str, LicenseTerm]
    use_restrictions: tuple[UseRestriction, ...] = ()
    #: Commercial rights end at this annual revenue of the licensee (Stability AI Community).
    revenue_limit_usd: int | None = None
    revenue_clause: str = ""
    #: ISO 3166 codes (and ``"EU"``) where the license does not apply at all.
    excluded_territories: tuple[str, ...] = ()
    territory_clause: str = ""
    #: Why the terms are incomplete (no license known for the base model, …); never empty
    #: means compliant by default.
    unknown: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class IntendedUseProfile:
    """What a team wants to do with a model: the rights its use depends on."""

    slug: str
    name: str
    #: The team the profile belongs to, or ``None`` for a company-wide profile.
    team: str | None
    #: The rights (names from :data:`LICENSE_TERMS`) this use needs.
    needs: frozenset[str]
    #: Whether the team commits to (and passes on) use-based restrictions.
    accepts_use_restrictions: bool
    #: Where the use happens (ISO 3166 codes, ``"EU"``); empty means unknown.
    territories: tuple[str, ...] = ()
    #: The company's annual revenue in USD, or ``None`` when not configured.
    annual_revenue_usd: int | None = None

    def __post_init__(self) -> None:
        unknown = set(self.needs) - set(LICENSE_TERMS)
        if unknown:
            raise ValueError(f"unknown license terms in profile {self.slug!r}: {sorted(unknown)}")


@dataclass(frozen=True, slots=True)
class LicenseReason:
    """One reason for a verdict, citing the term and clause that decided it."""

    verdict: LicenseVerdict
    #: A name from :data:`LICENSE_TERMS`, or ``use_restrictions``, ``revenue``,
    #: ``territory``, ``unknown`` (terms not established), ``use`` (nothing restricted
    #: is needed) or ``evaluator`` (an evaluator failed).
    term: str
    clause: str
    message: str
    source: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "verdict", LicenseVerdict(self.verdict))


@dataclass(frozen=True, slots=True)
class LicenseEvaluation:
    """An evaluator's answer: a verdict and every reason behind it (at least one)."""

    verdict: LicenseVerdict
    reasons: tuple[LicenseReason, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "verdict", LicenseVerdict(self.verdict))
        object.__setattr__(self, "reasons", tuple(self.reasons))
        if not self.reasons:
            raise ValueError("a license evaluation needs at least one reason")
        worst = max((r.verdict for r in self.reasons), key=lambda v: v.rank)
        if worst.rank > self.verdict.rank:
            raise ValueError(f"verdict {self.verdict} is more lenient than its reasons ({worst})")


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
