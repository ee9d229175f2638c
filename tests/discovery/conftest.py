import pytest

from governance.catalog.models import CommercialUse, ModelType, VersionState, Visibility
from governance.discovery.services import index_models
from tests.accounts.factories import MembershipFactory
from tests.catalog.factories import CreatorFactory, ModelFactory, ModelVersionFactory


@pytest.fixture
def catalog(db, user):
    """A small catalog, indexed: names, tags, trigger words and creators all differ."""
    team = MembershipFactory(user=user).team
    other_team = MembershipFactory().team
    models = {
        "photo": ModelFactory(
            name="Lumen Photoreal",
            type=ModelType.CHECKPOINT,
            tags=["photorealistic", "portrait"],
            description="<p>Lifelike portraits with natural skin and studio lighting.</p>",
            download_count=900,
            rating=4.1,
            commercial_image=True,
            commercial_sell=True,
        ),
        "anime": ModelFactory(
            name="Retro Anime 90s",
            tags=["anime", "retro"],
            download_count=5000,
            rating=4.9,
            description="<p>Cel-shaded 1990s television cartoon look.</p>",
            creator=CreatorFactory(username="celpainter"),
        ),
        "clay": ModelFactory(
            name="Claymation Motion",
            tags=["video", "claymation"],
            download_count=50,
            rating=3.0,
            description="<p>Stop-motion plasticine figures with fingerprint textures.</p>",
            nsfw_level=4,
            owning_team=team,
        ),
        "secret": ModelFactory(
            name="Secret Photoreal Faces",
            tags=["photorealistic"],
            visibility=Visibility.TEAM,
            owning_team=other_team,
            description="<p>Private portraits of the other team.</p>",
        ),
    }
    ModelVersionFactory(
        model=models["photo"],
        base_model="SDXL 1.0",
        state=VersionState.APPROVED,
        trained_words=["lumenphoto"],
    )
    ModelVersionFactory(model=models["anime"], base_model="SD 1.5", state=VersionState.APPROVED)
    ModelVersionFactory(
        model=models["clay"],
        base_model="Wan Video",
        state=VersionState.DRAFT,
        trained_words=["claymation style"],
    )
    ModelVersionFactory(model=models["secret"], base_model="SDXL 1.0")
    # Lexical only: the sentence embeddings are computed by the semantic_catalog fixture.
    index_models([m.pk for m in models.values()], semantic=False)
    models["team"] = team
    assert CommercialUse.SELL  # the photo model allows selling; the others do not
    return models


@pytest.fixture
def semantic_catalog(catalog):
    index_models([m.pk for m in catalog.values() if hasattr(m, "versions")])
    return catalog
