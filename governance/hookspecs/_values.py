"""Values exchanged with plugins: severities, formats, files to scan and their budget,
findings, snapshots, scores, recommendations. Re-exported by ``governance.hookspecs``."""

from __future__ import annotations

import enum
import io
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO


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
