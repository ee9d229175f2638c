"""Which add-ons fit which checkpoints: base-model families and the compatibility checker.

An add-on (LoRA, LoCon, DoRA, embedding, hypernetwork, ControlNet, VAE, motion module) is
trained against one checkpoint architecture and only loads on checkpoints of that
architecture. CivitAI records the exact base model ("Pony", "SDXL 1.0", "Flux.1 D"); the
family says which of them share an architecture. Derivatives of one family (Pony,
Illustrious and NoobAI are SDXL fine-tunes) load each other's add-ons, but results vary,
so a cross-derivative match is reported as such. Upscalers, wildcards and poses work on
images or prompts, whatever the checkpoint.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from governance.catalog.models import Model

#: Exact CivitAI base-model names -> architecture family. Unknown names have no family.
BASE_MODEL_FAMILIES: dict[str, str] = {
    **dict.fromkeys(["SD 1.4", "SD 1.5", "SD 1.5 LCM", "SD 1.5 Hyper"], "sd1"),
    **dict.fromkeys(["SD 2.0", "SD 2.0 768", "SD 2.1", "SD 2.1 768", "SD 2.1 Unclip"], "sd2"),
    **dict.fromkeys(
        [
            "SDXL 0.9",
            "SDXL 1.0",
            "SDXL 1.0 LCM",
            "SDXL Distilled",
            "SDXL Turbo",
            "SDXL Lightning",
            "SDXL Hyper",
            "Pony",
            "Illustrious",
            "NoobAI",
        ],
        "sdxl",
    ),
    **dict.fromkeys(["SD 3", "SD 3.5 Medium"], "sd3-medium"),
    **dict.fromkeys(["SD 3.5", "SD 3.5 Large", "SD 3.5 Large Turbo"], "sd3-large"),
    **dict.fromkeys(["Flux.1 D", "Flux.1 S", "Flux.1 Kontext"], "flux1"),
    **dict.fromkeys(["Wan Video", "Wan Video 14B t2v", "Wan Video 14B i2v 480p"], "wan"),
    "Hunyuan Video": "hunyuan-video",
    "Hunyuan 1": "hunyuan-dit",
    "AuraFlow": "auraflow",
    "Kolors": "kolors",
    "Lumina": "lumina",
    "PixArt a": "pixart",
    "PixArt E": "pixart",
    "Stable Cascade": "stable-cascade",
    "SVD": "svd",
    "SVD XT": "svd",
    "LTXV": "ltxv",
    "Mochi": "mochi",
    "CogVideoX": "cogvideox",
    "HiDream": "hidream",
}

CHECKPOINT_TYPES = frozenset({"Checkpoint"})
#: Add-ons that load into a checkpoint and must match its architecture.
FAMILY_BOUND_TYPES = frozenset(
    {
        "LORA",
        "LoCon",
        "DoRA",
        "TextualInversion",
        "Hypernetwork",
        "Controlnet",
        "VAE",
        "MotionModule",
        "AestheticGradient",
    }
)
#: Add-ons that work on images or prompts, whatever the checkpoint.
UNIVERSAL_TYPES = frozenset({"Upscaler", "Wildcards", "Poses"})
ADDON_TYPES = FAMILY_BOUND_TYPES | UNIVERSAL_TYPES
#: Types that are not add-ons of a checkpoint.
NOT_ADDON_TYPES = frozenset({"Checkpoint", "Workflows", "Other"})


def base_model_family(base_model: str) -> str | None:
    """The architecture family of a CivitAI base-model name, or ``None`` when unknown."""
    return BASE_MODEL_FAMILIES.get((base_model or "").strip())


def families_of(base_models: Iterable[str]) -> frozenset[str]:
    """The known families among ``base_models``."""
    return frozenset(f for f in map(base_model_family, base_models) if f)


@dataclass(frozen=True, slots=True)
class CompatibilityResult:
    """The checker's answer for one add-on and one checkpoint."""

    #: ``"exact"`` (a shared base model), ``"family"`` (same architecture, another
    #: derivative), ``"universal"`` (works with any checkpoint), ``"incompatible"`` or
    #: ``"unknown"`` (a base model Hubgate cannot place).
    level: str
    reason: str
    addon_families: frozenset[str]
    checkpoint_families: frozenset[str]

    @property
    def compatible(self) -> bool | None:
        """True or False, or ``None`` when it cannot be told."""
        if self.level == "unknown":
            return None
        return self.level != "incompatible"


def check(
    *,
    addon_type: str,
    addon_base_models: Iterable[str],
    checkpoint_type: str,
    checkpoint_base_models: Iterable[str],
    addon_name: str = "the add-on",
    checkpoint_name: str = "the checkpoint",
) -> CompatibilityResult:
    """Whether an add-on of ``addon_type`` trained on ``addon_base_models`` loads on a
    checkpoint trained on ``checkpoint_base_models`` (plain values, no database)."""
    addon_bases = frozenset(b for b in addon_base_models if b)
    checkpoint_bases = frozenset(b for b in checkpoint_base_models if b)
    addon_families = families_of(addon_bases)
    checkpoint_families = families_of(checkpoint_bases)

    def result(level: str, reason: str) -> CompatibilityResult:
        return CompatibilityResult(level, reason, addon_families, checkpoint_families)

    if checkpoint_type not in CHECKPOINT_TYPES:
        return result(
            "incompatible", f"{checkpoint_name} is a {checkpoint_type}, not a checkpoint."
        )
    if addon_type in UNIVERSAL_TYPES:
        return result("universal", f"A {addon_type} works with images from any checkpoint.")
    if addon_type not in FAMILY_BOUND_TYPES:
        return result("incompatible", f"{addon_name} is a {addon_type}, not an add-on.")
    shared = sorted(addon_bases & checkpoint_bases)
    if shared:
        return result("exact", f"Both are built on {', '.join(shared)}.")
    shared_families = sorted(addon_families & checkpoint_families)
    if shared_families:
        return result(
            "family",
            f"{addon_name} ({', '.join(sorted(addon_bases))}) and {checkpoint_name} "
            f"({', '.join(sorted(checkpoint_bases))}) share the {shared_families[0]} "
            "architecture: it loads, results may vary between fine-tunes.",
        )
    if not addon_families or not checkpoint_families:
        unknown = sorted(
            (addon_bases - set(BASE_MODEL_FAMILIES)) | (checkpoint_bases - set(BASE_MODEL_FAMILIES))
        )
        return result(
            "unknown",
            "Hubgate cannot tell: no known architecture for base model "
            + (", ".join(unknown) or "(none recorded)")
            + ".",
        )
    return result(
        "incompatible",
        f"{addon_name} is built for {', '.join(sorted(addon_families))}, {checkpoint_name} is "
        f"{', '.join(sorted(checkpoint_families))}: it will not load.",
    )


def check_compatibility(*, addon: Model, checkpoint: Model) -> CompatibilityResult:
    """Whether the add-on model ``addon`` loads on the checkpoint model ``checkpoint``,
    judged on the base models of all their versions."""
    return check(
        addon_type=addon.type,
        addon_base_models=addon.versions.values_list("base_model", flat=True),
        checkpoint_type=checkpoint.type,
        checkpoint_base_models=checkpoint.versions.values_list("base_model", flat=True),
        addon_name=addon.name,
        checkpoint_name=checkpoint.name,
    )
