import pytest

from governance.recommendations.compatibility import base_model_family, check, check_compatibility
from tests.catalog.factories import ModelFactory, ModelVersionFactory


@pytest.mark.parametrize(
    ("base_model", "family"),
    [
        ("SD 1.5", "sd1"),
        ("Pony", "sdxl"),
        ("Illustrious", "sdxl"),
        ("SDXL 1.0", "sdxl"),
        ("Flux.1 S", "flux1"),
        ("SD 3.5 Medium", "sd3-medium"),
        ("SD 3.5 Large", "sd3-large"),
        ("Other", None),
        ("", None),
    ],
)
def test_base_model_families(base_model, family) -> None:
    assert base_model_family(base_model) == family


def _check(addon_type, addon_bases, checkpoint_bases, checkpoint_type="Checkpoint"):
    return check(
        addon_type=addon_type,
        addon_base_models=addon_bases,
        checkpoint_type=checkpoint_type,
        checkpoint_base_models=checkpoint_bases,
    )


def test_levels_of_compatibility() -> None:
    assert _check("LORA", ["Pony"], ["Pony"]).level == "exact"
    family = _check("LORA", ["Pony"], ["SDXL 1.0"])
    assert (family.level, family.compatible) == ("family", True)
    assert "results may vary" in family.reason
    wrong = _check("Controlnet", ["SD 1.5"], ["Flux.1 D"])
    assert (wrong.level, wrong.compatible) == ("incompatible", False)
    assert "built for sd1" in wrong.reason
    assert _check("Upscaler", ["Other"], ["SD 1.5"]).level == "universal"
    unknown = _check("LORA", ["Other"], ["SD 1.5"])
    assert (unknown.level, unknown.compatible) == ("unknown", None)


def test_only_addons_on_checkpoints_are_compatible() -> None:
    assert _check("LORA", ["Pony"], ["Pony"], checkpoint_type="LORA").compatible is False
    assert _check("Checkpoint", ["Pony"], ["Pony"]).compatible is False


@pytest.mark.django_db
def test_check_compatibility_reads_every_version_of_both_models() -> None:
    checkpoint = ModelVersionFactory(model__type="Checkpoint", base_model="SD 1.5").model
    ModelVersionFactory(model=checkpoint, base_model="SDXL 1.0")
    lora = ModelVersionFactory(model__type="LORA", base_model="SDXL 1.0").model
    result = check_compatibility(addon=lora, checkpoint=checkpoint)
    assert result.level == "exact"
    assert (
        check_compatibility(addon=ModelFactory(type="VAE"), checkpoint=checkpoint).level
        == "unknown"
    )
