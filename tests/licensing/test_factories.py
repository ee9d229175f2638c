import pytest

from governance.audit.models import AuditEntry
from governance.licensing.models import DeclaredLicense
from governance.licensing.terms import validate_terms
from tests.accounts.factories import TeamFactory
from tests.licensing.factories import (
    BaseModelLicenseFactory,
    DeclaredLicenseFactory,
    IntendedUseFactory,
    LicenseFactory,
)

pytestmark = pytest.mark.django_db


def test_a_license_is_version_one_with_its_revision_and_valid_terms():
    lic = LicenseFactory()
    lic.full_clean()
    assert lic.version == 1
    assert lic.revisions.get().version == 1
    assert validate_terms(lic.terms) == lic.terms
    assert AuditEntry.objects.filter(action="license.created", object_id=str(lic.pk)).exists()


@pytest.mark.parametrize(
    "factory_class", [BaseModelLicenseFactory, DeclaredLicenseFactory, IntendedUseFactory]
)
def test_every_licensing_factory_saves_through_an_audited_service(factory_class):
    first, second = factory_class(), factory_class()
    for obj in (first, second):
        obj.full_clean()
        # A declared license is audited on the model that declares it.
        audited = obj.model if isinstance(obj, DeclaredLicense) else obj
        assert AuditEntry.objects.filter(
            object_type=audited._meta.label_lower, object_id=str(audited.pk)
        ).exists()
    assert first.pk != second.pk


def test_a_declared_license_belongs_to_its_model():
    declared = DeclaredLicenseFactory()
    assert declared.model.declared_license == declared


def test_an_intended_use_may_belong_to_a_team():
    team = TeamFactory()
    profile = IntendedUseFactory(team=team, needs=["sell_model", "commercial_use"])
    assert profile.team == team
    assert profile.needs == ["commercial_use", "sell_model"]  # in LICENSE_TERMS order
