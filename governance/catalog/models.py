"""The catalog: creators, models, versions, files, preview images and tags.

Field names follow CivitAI's public API v1 closely, so a model imported from CivitAI and
served back through the compatible API loses nothing. Hub statistics are kept as the hub
reported them; Hubgate's own usage is counted elsewhere.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from governance.net import validate_http_url


class Hub(models.TextChoices):
    CIVITAI = "civitai", "CivitAI"
    HUGGINGFACE = "huggingface", "Hugging Face"
    UPLOAD = "upload", "Upload"


class SourceFields(models.Model):
    """Where a record came from, so the same hub object is never imported twice."""

    hub = models.CharField(max_length=20, choices=Hub.choices, default=Hub.UPLOAD)
    external_id = models.CharField(
        max_length=64, blank=True, help_text="The object's id on its hub; empty for uploads."
    )

    class Meta:
        abstract = True

    @classmethod
    def source_constraint(cls, name: str) -> models.UniqueConstraint:
        return models.UniqueConstraint(
            fields=["hub", "external_id"], condition=~Q(external_id=""), name=name
        )


class NsfwLevel(models.IntegerChoices):
    """CivitAI's browsing levels; a record's nsfw_level is the bitwise OR of what it shows."""

    PG = 1, "PG"
    PG13 = 2, "PG-13"
    R = 4, "R"
    X = 8, "X"
    XXX = 16, "XXX"
    BLOCKED = 32, "Blocked"


class Creator(SourceFields):
    username = models.CharField(max_length=150, unique=True)
    image_url = models.URLField(max_length=500, blank=True, validators=[validate_http_url])
    link = models.URLField(max_length=500, blank=True, validators=[validate_http_url])

    class Meta:
        ordering = ["username"]
        constraints = [SourceFields.source_constraint("unique_creator_source")]

    def __str__(self) -> str:
        return self.username


class Tag(models.Model):
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.name = self.name.strip().lower()
        super().save(*args, **kwargs)


class ModelType(models.TextChoices):
    CHECKPOINT = "Checkpoint"
    TEXTUAL_INVERSION = "TextualInversion", "Textual Inversion"
    HYPERNETWORK = "Hypernetwork"
    AESTHETIC_GRADIENT = "AestheticGradient", "Aesthetic Gradient"
    LORA = "LORA", "LoRA"
    LOCON = "LoCon", "LoCon"
    DORA = "DoRA", "DoRA"
    CONTROLNET = "Controlnet", "ControlNet"
    UPSCALER = "Upscaler"
    MOTION_MODULE = "MotionModule", "Motion Module"
    VAE = "VAE", "VAE"
    POSES = "Poses"
    WILDCARDS = "Wildcards"
    WORKFLOWS = "Workflows"
    OTHER = "Other"


class ModelMode(models.TextChoices):
    ARCHIVED = "Archived"
    TAKEN_DOWN = "TakenDown", "Taken down"


class CommercialUse(models.TextChoices):
    """CivitAI's allowCommercialUse values, from least to most permissive."""

    IMAGE = "Image", "Sell generated images"
    RENT_CIVIT = "RentCivit", "Use on CivitAI's generation service"
    RENT = "Rent", "Use on generation services"
    SELL = "Sell", "Sell this model or merges"


class Visibility(models.TextChoices):
    COMPANY = "company", "Everyone in the company"
    TEAM = "team", "Only the owning team (and teams granted access)"


class VersionState(models.TextChoices):
    """A version's place in its lifecycle; changed only by governance.lifecycle.services."""

    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    GATING = "gating", "Gating"
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    QUARANTINED = "quarantined", "Quarantined"
    DEPRECATED = "deprecated", "Deprecated"
    RETIRED = "retired", "Retired"


class HubStats(models.Model):
    """Statistics as the hub reported them at the last sync."""

    download_count = models.PositiveIntegerField(default=0)
    thumbs_up_count = models.PositiveIntegerField(default=0)
    thumbs_down_count = models.PositiveIntegerField(default=0)
    rating_count = models.PositiveIntegerField(default=0)
    rating = models.FloatField(default=0.0)

    class Meta:
        abstract = True


class Model(SourceFields, HubStats):
    """A model as published on a hub: one name, one type, many versions."""

    name = models.CharField(max_length=255)
    description = models.TextField(blank=True, help_text="HTML, as published on the hub.")
    type = models.CharField(max_length=32, choices=ModelType.choices, db_index=True)
    creator = models.ForeignKey(
        Creator, on_delete=models.PROTECT, related_name="models", null=True, blank=True
    )
    owning_team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_models",
        help_text="The team responsible for this model inside the company.",
    )
    tags = models.ManyToManyField(Tag, related_name="models", blank=True)
    visibility = models.CharField(
        max_length=16, choices=Visibility.choices, default=Visibility.COMPANY
    )
    source_url = models.URLField(max_length=500, blank=True, validators=[validate_http_url])

    nsfw = models.BooleanField(default=False)
    nsfw_level = models.PositiveIntegerField(default=NsfwLevel.PG)
    poi = models.BooleanField("depicts a real person", default=False)
    minor = models.BooleanField(default=False)
    sfw_only = models.BooleanField(default=False)
    mode = models.CharField(max_length=16, choices=ModelMode.choices, blank=True)
    availability = models.CharField(max_length=32, default="Public")

    # The creator's permission flags, as on the hub.
    allow_no_credit = models.BooleanField(default=True)
    # allowCommercialUse is a set on the hub; one column per value keeps it filterable
    # on every database.
    commercial_image = models.BooleanField("commercial use: images", default=False)
    commercial_rent_civit = models.BooleanField("commercial use: CivitAI service", default=False)
    commercial_rent = models.BooleanField("commercial use: generation services", default=False)
    commercial_sell = models.BooleanField("commercial use: sell the model", default=False)
    allow_derivatives = models.BooleanField(default=True)
    allow_different_license = models.BooleanField(default=True)

    favorite_count = models.PositiveIntegerField(default=0)
    comment_count = models.PositiveIntegerField(default=0)
    tipped_amount_count = models.PositiveIntegerField(default=0)
    image_count = models.PositiveIntegerField(
        default=0, help_text="Preview images published with its versions (CivitAI's Most Images)."
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-download_count", "id"]
        constraints = [SourceFields.source_constraint("unique_model_source")]
        indexes = [models.Index(fields=["name"])]

    def __str__(self) -> str:
        return self.name

    @property
    def allow_commercial_use(self) -> list[str]:
        """CivitAI's allowCommercialUse list, in the hub's order."""
        return [use.value for use in CommercialUse if getattr(self, COMMERCIAL_USE_FIELDS[use])]

    def permission_summary(self) -> list[str]:
        """The creator's permission flags in plain words, one sentence each."""
        uses = [use.label for use in CommercialUse if use.value in self.allow_commercial_use]
        return [
            "No credit needed" if self.allow_no_credit else "Credit the creator when you use it",
            ("Commercial use allowed: " + ", ".join(uses).lower()) if uses else "No commercial use",
            "Merges and derivatives allowed"
            if self.allow_derivatives
            else "No merges or derivatives",
            "Derivatives may use a different license"
            if self.allow_different_license
            else "Derivatives must keep these permissions",
        ]


#: Which column holds each allowCommercialUse value.
COMMERCIAL_USE_FIELDS = {
    CommercialUse.IMAGE: "commercial_image",
    CommercialUse.RENT_CIVIT: "commercial_rent_civit",
    CommercialUse.RENT: "commercial_rent",
    CommercialUse.SELL: "commercial_sell",
}
#: The creator's permission flags: a change re-evaluates the model's licenses.
PERMISSION_FLAG_FIELDS = (
    "allow_no_credit",
    *COMMERCIAL_USE_FIELDS.values(),
    "allow_derivatives",
    "allow_different_license",
)


class ModelVersion(SourceFields, HubStats):
    model = models.ForeignKey(Model, on_delete=models.CASCADE, related_name="versions")
    state = models.CharField(
        max_length=16, choices=VersionState.choices, default=VersionState.DRAFT, db_index=True
    )
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    index = models.PositiveIntegerField(default=0, help_text="0 is the newest version.")
    base_model = models.CharField(max_length=64, db_index=True)
    base_model_type = models.CharField(max_length=32, blank=True)
    trained_words = models.JSONField(default=list, blank=True)
    nsfw_level = models.PositiveIntegerField(default=NsfwLevel.PG)
    status = models.CharField(max_length=32, default="Published")
    availability = models.CharField(max_length=32, default="Public")
    early_access_time_frame = models.PositiveIntegerField(
        default=0, help_text="Days of early access on the hub."
    )
    early_access_ends_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    hub_created_at = models.DateTimeField(null=True, blank=True)
    hub_updated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["model_id", "index", "-id"]
        constraints = [SourceFields.source_constraint("unique_version_source")]
        permissions = [("use_modelversion", "Can use (download, deploy) this version")]

    def __str__(self) -> str:
        return f"{self.model.name} — {self.name}"


class ScanResult(models.TextChoices):
    PENDING = "Pending"
    SUCCESS = "Success"
    DANGER = "Danger"
    ERROR = "Error"


class ModelFile(SourceFields):
    """One file of a version, with every hash the hub publishes."""

    class FileType(models.TextChoices):
        MODEL = "Model"
        PRUNED_MODEL = "Pruned Model"
        TRAINING_DATA = "Training Data"
        CONFIG = "Config"
        VAE = "VAE"
        ARCHIVE = "Archive"
        NEGATIVE = "Negative"

    version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="files")
    name = models.CharField(max_length=255)
    type = models.CharField(max_length=32, default=FileType.MODEL)
    size_kb = models.FloatField(default=0.0, help_text="Size in KiB, as CivitAI reports it.")
    primary = models.BooleanField(default=False)
    format = models.CharField(max_length=32, blank=True, help_text="SafeTensor, PickleTensor…")
    fp = models.CharField("precision", max_length=16, blank=True)
    size_variant = models.CharField(max_length=16, blank=True, help_text="full or pruned")
    download_url = models.URLField(max_length=500, blank=True, validators=[validate_http_url])
    blob = models.ForeignKey(
        "ingest.Blob",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="model_files",
        help_text="The stored bytes, once ingested; empty while the file is only known by hash.",
    )

    # Hashes, stored upper-case hex as CivitAI publishes them.
    sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    autov1 = models.CharField(max_length=8, blank=True)
    autov2 = models.CharField(max_length=10, blank=True, db_index=True)
    autov3 = models.CharField(max_length=12, blank=True)
    crc32 = models.CharField(max_length=8, blank=True)
    blake3 = models.CharField(max_length=64, blank=True, db_index=True)

    pickle_scan_result = models.CharField(
        max_length=16, choices=ScanResult.choices, default=ScanResult.PENDING
    )
    pickle_scan_message = models.TextField(blank=True)
    virus_scan_result = models.CharField(
        max_length=16, choices=ScanResult.choices, default=ScanResult.PENDING
    )
    virus_scan_message = models.TextField(blank=True)
    scanned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["version_id", "-primary", "id"]
        constraints = [
            SourceFields.source_constraint("unique_file_source"),
            models.UniqueConstraint(
                fields=["version"], condition=Q(primary=True), name="one_primary_file_per_version"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def size_bytes(self) -> int:
        return round(self.size_kb * 1024)

    @property
    def hashes(self) -> dict[str, str]:
        """The hashes present, under CivitAI's names."""
        names = {
            "AutoV1": self.autov1,
            "AutoV2": self.autov2,
            "AutoV3": self.autov3,
            "SHA256": self.sha256,
            "CRC32": self.crc32,
            "BLAKE3": self.blake3,
        }
        return {name: value for name, value in names.items() if value}


class Image(SourceFields):
    """A preview image (or video) published with a version, kept as metadata."""

    version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="images")
    url = models.URLField(max_length=1000, validators=[validate_http_url])
    type = models.CharField(max_length=16, default="image")
    nsfw_level = models.PositiveIntegerField(default=NsfwLevel.PG)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    blurhash = models.CharField(max_length=64, blank=True)
    meta = models.JSONField(null=True, blank=True, help_text="Generation parameters.")
    has_meta = models.BooleanField(default=False)
    on_site = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["version_id", "position", "id"]
        constraints = [SourceFields.source_constraint("unique_image_source")]

    def __str__(self) -> str:
        return self.url


class VersionScore(models.Model):
    """The latest value of one scorer metric for one version, or the scorer's failure."""

    version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="scores")
    plugin = models.CharField(max_length=100)
    name = models.CharField(max_length=100, help_text="The metric; empty when the plugin failed.")
    value = models.FloatField(null=True, blank=True)
    explanation = models.TextField(blank=True)
    error = models.TextField(blank=True, help_text="Why the scorer failed, if it did.")
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["version_id", "plugin", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "plugin", "name"], name="unique_version_score"
            ),
            models.CheckConstraint(
                condition=Q(value__isnull=True) | Q(value__gte=0.0, value__lte=1.0),
                name="score_value_in_unit_interval",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plugin}.{self.name}={self.value}"
