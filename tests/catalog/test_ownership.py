"""Importing never changes who owns a model; moving it is an explicit, audited transfer."""

import pytest

from governance.accounts import permissions
from governance.audit.models import AuditEntry
from governance.catalog.models import Model, Visibility
from governance.catalog.services import import_civitai_model, transfer_model
from governance.errors import Conflict, ValidationFailed
from tests.accounts.factories import MembershipFactory, UserFactory
from tests.connectors.hub import fixture_documents

pytestmark = pytest.mark.django_db


@pytest.fixture
def owned():
    """A team-private model imported by team A, and a member of team B."""
    owner = MembershipFactory().user
    other = MembershipFactory().user
    document = fixture_documents()[0]
    model = import_civitai_model(document=document, owning_team=owner.teams.get()).model
    Model.objects.filter(pk=model.pk).update(visibility=Visibility.TEAM)
    model.refresh_from_db()
    return model, document, owner, other


def test_a_reimport_for_another_team_does_not_take_the_model_over(owned) -> None:
    model, document, owner, other = owned
    import_civitai_model(document=document, owning_team=other.teams.get())
    model.refresh_from_db()
    assert model.owning_team == owner.teams.get()
    assert permissions.can_view_model(owner, model)
    assert not permissions.can_view_model(other, model)


def test_a_transfer_moves_the_permission_in_one_audited_step(owned) -> None:
    model, _document, owner, other = owned
    admin = UserFactory(is_staff=True)
    old_team, new_team = owner.teams.get(), other.teams.get()
    transfer_model(model=model, to_team=new_team, actor=admin, reason="Research handed it over")
    model.refresh_from_db()
    assert model.owning_team == new_team
    assert permissions.can_view_model(other, model)
    assert not permissions.can_view_model(owner, model)
    entry = AuditEntry.objects.get(action="model.owner_changed")
    assert entry.before == {"owning_team": old_team.slug}
    assert entry.after == {"owning_team": new_team.slug, "reason": "Research handed it over"}


def test_a_transfer_needs_a_reason_and_a_new_owner(owned) -> None:
    model, _document, owner, _other = owned
    admin = UserFactory(is_staff=True)
    with pytest.raises(ValidationFailed):
        transfer_model(model=model, to_team=None, actor=admin, reason=" ")
    with pytest.raises(Conflict):
        transfer_model(model=model, to_team=owner.teams.get(), actor=admin, reason="again")
