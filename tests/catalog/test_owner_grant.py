"""The owning team sees its model: granted by the service that imports it, not a receiver."""

import pytest

from governance.accounts import permissions
from governance.catalog.models import Model, Visibility
from governance.catalog.selectors import visible_models
from governance.catalog.services import import_civitai_model
from tests.accounts.factories import MembershipFactory, UserFactory
from tests.connectors.hub import fixture_documents

pytestmark = pytest.mark.django_db


def test_importing_for_a_team_grants_that_team_its_private_model() -> None:
    member = MembershipFactory().user
    team = member.teams.get()
    model = import_civitai_model(document=fixture_documents()[0], owning_team=team).model
    Model.objects.filter(pk=model.pk).update(visibility=Visibility.TEAM)
    assert permissions.can_view_model(member, model)
    assert list(visible_models(member)) == [model]
    assert not visible_models(UserFactory()).exists()


def test_a_plain_save_grants_nothing() -> None:
    # No receiver hands out permissions behind the services' back.
    member = MembershipFactory().user
    model = Model.objects.create(
        name="Raw", type="LORA", owning_team=member.teams.get(), visibility=Visibility.TEAM
    )
    assert not permissions.can_view_model(member, model)
