import pytest

from tests.accounts.factories import MembershipFactory
from tests.catalog.factories import ModelVersionFactory
from tests.usage.factories import UsageEventFactory


@pytest.fixture
def catalog(db):
    """A small catalog: a Pony checkpoint, add-ons that fit it or not, a team-private model."""
    from governance.accounts.models import Team

    other_team = Team.objects.create(name="Other", slug="other")

    def model(name, type, base, tags=(), **extra):
        return ModelVersionFactory(
            model__name=name,
            model__type=type,
            model__tags=list(tags),
            base_model=base,
            **{f"model__{k}": v for k, v in extra.items()},
        ).model

    return {
        "checkpoint": model("Pony Diffusion", "Checkpoint", "Pony", ["anime"], download_count=900),
        "pony_lora": model("Cel Shade", "LORA", "Pony", ["anime", "cel"], download_count=500),
        "sdxl_lora": model("Film Grain", "LORA", "SDXL 1.0", ["photo"], download_count=100),
        "sd15_lora": model("Old Style", "LORA", "SD 1.5", ["anime", "cel"], download_count=800),
        "upscaler": model("4x Ultra", "Upscaler", "Other", ["upscale"], download_count=50),
        "private": model(
            "Secret Pony",
            "LORA",
            "Pony",
            ["anime", "cel"],
            visibility="team",
            owning_team=other_team,
        ),
    }


@pytest.fixture
def member(user):
    return MembershipFactory(user=user).team


def use(user, model, team=None, n=1):
    """``n`` downloads of ``model``'s newest version by ``user``."""
    for _ in range(n):
        UsageEventFactory(user=user, team=team, version=model.versions.first())
