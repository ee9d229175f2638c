"""A small approved catalog for the compatible API's tests, built through the services."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from governance.accounts.services import create_api_key
from governance.catalog.models import Hub, Model, ModelVersion, Visibility
from governance.catalog.services import import_civitai_model
from governance.ingest.services import attach_blob, ingest_chunks
from tests.accounts.factories import MembershipFactory, TeamFactory, UserFactory
from tests.approvals.conftest import safetensors
from tests.connectors.hub import approve_for, fixture_documents


@dataclass
class Catalog:
    team: object
    member: object  # of team
    outsider: object  # of another team
    staff: object
    member_key: str
    outsider_key: str
    #: hub id → Model, for every imported model
    models: dict[int, Model] = field(default_factory=dict)
    approved: list[int] = field(default_factory=list)  # hub ids with approved versions

    def model(self, hub_id: int) -> Model:
        return self.models[hub_id]

    def version(self, hub_id: int, index: int = 0) -> ModelVersion:
        return self.models[hub_id].versions.get(index=index)


def build_catalog(count: int = 12) -> Catalog:
    team, other = TeamFactory(slug="studio"), TeamFactory(slug="research")
    member = MembershipFactory(team=team, user=UserFactory(username="alice")).user
    outsider = MembershipFactory(team=other, user=UserFactory(username="oscar")).user
    staff = UserFactory(username="root", is_staff=True)
    _, member_key = create_api_key(user=member, name="tool", scopes=["read"])
    _, outsider_key = create_api_key(user=outsider, name="tool", scopes=["read"])
    catalog = Catalog(team, member, outsider, staff, member_key, outsider_key)
    for document in fixture_documents()[:count]:
        model = import_civitai_model(document=document).model
        catalog.models[int(document["id"])] = model
    # Every version of the first eight models approved for the studio, except those taken
    # down on the hub (visible_models hides them) — the rest stay drafts.
    for hub_id, model in list(catalog.models.items())[:8]:
        for version in model.versions.all():
            approve_for(team, version)
        catalog.approved.append(hub_id)
    return catalog


@pytest.fixture
def catalog(db) -> Catalog:
    return build_catalog()


#: The bytes of the stored in-house file (fixture ``stored``).
DATA = safetensors(b"payload")


@pytest.fixture
def stored(catalog, django_capture_on_commit_callbacks) -> ModelVersion:
    """An in-house version with one stored, scanned file, approved for the studio."""
    model = Model.objects.create(
        name="Palette", type="LORA", hub=Hub.UPLOAD, owning_team=catalog.team
    )
    version = ModelVersion.objects.create(
        model=model, name="v1", base_model="SDXL 1.0", hub=Hub.UPLOAD
    )
    with django_capture_on_commit_callbacks(execute=True):
        attach_blob(version=version, blob=ingest_chunks([DATA]), name="palette.safetensors")
    return approve_for(catalog.team, version)


def make_private(model: Model) -> None:
    Model.objects.filter(pk=model.pk).update(visibility=Visibility.TEAM)
