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
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

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


@dataclass(frozen=True, slots=True)
class FileToScan:
    """One stored file, readable at ``path`` on the local filesystem.

    The file is hostile input: read its bytes, never import, unpickle or execute them.
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


@dataclass(frozen=True, slots=True)
class UserSnapshot:
    """The person recommendations are for, with the models they have used or chosen."""

    id: int
    username: str
    team_ids: tuple[int, ...]
    #: Models the user or their teams use, most relevant first.
    history: tuple[ModelSnapshot, ...]


@dataclass(frozen=True, slots=True)
class Recommendation:
    """One recommended model with a relevance in [0, 1] and why it was recommended."""

    model_id: int
    score: float
    reason: str

    def __post_init__(self) -> None:
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"recommendation score must lie in [0, 1], got {self.score!r}")


# --- Setup phase ---------------------------------------------------------------------------


@hookspec
def hubgate_configure(config: Mapping[str, Any]) -> None:
    """Receive this plugin's own configuration, once, when the plugin is loaded.

    Called for each plugin separately, before any other hook of that plugin, with the mapping
    found under the plugin's entry-point name in the ``HUBGATE_PLUGINS`` setting (an empty
    mapping when there is none).

    :param config: this plugin's settings; read-only.
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

    :param file: the file to examine; hostile input, never to be loaded or executed.
    :returns: the findings (an empty sequence when the file is clean as far as this scanner
        can tell), or ``None`` when the scanner does not apply to this kind of file.

    If the implementation raises, the scan records a failed result with the scanner's name
    and error and the file's scan fails closed (it is treated as not clean).
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
