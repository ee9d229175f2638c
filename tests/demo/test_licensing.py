"""The demo ships the intended-use profiles, and models whose verdicts differ between them."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings

from governance.audit.models import AuditEntry
from governance.catalog.models import ModelVersion
from governance.licensing.models import DeclaredLicense, IntendedUse, License

pytestmark = [pytest.mark.slow]


def evaluate(version_id: int, profile: str) -> int:
    with pytest.raises(SystemExit) as exited:
        call_command("licenses", "evaluate", str(version_id), profile, stdout=StringIO())
    return exited.value.code


@override_settings(DEBUG=True)
@pytest.mark.django_db(transaction=True)  # real commits: the governance demo's scans run
def test_seed_demo_loads_profiles_once_and_their_verdicts_differ() -> None:
    call_command("seed_demo", stdout=StringIO())
    assert {"commercial-products", "internal-research"} <= set(
        IntendedUse.objects.values_list("slug", flat=True)
    )

    def state():
        return (
            sorted(IntendedUse.objects.values_list("slug", "needs", "territories")),
            sorted(DeclaredLicense.objects.values_list("model_id", "license__key")),
            sorted(License.objects.values_list("key", "version")),
            AuditEntry.objects.filter(action__regex=r"^(license|intended_use)\.").count(),
        )

    before = state()
    call_command("seed_demo", stdout=StringIO())
    assert state() == before, "a second seed changes nothing"

    # A creator who allows no commercial use at all: not for products, fine for research.
    anchor = ModelVersion.objects.filter(model__name="Generic Anchorperson Likeness").first()
    assert evaluate(anchor.pk, "commercial-products") == 1
    assert evaluate(anchor.pk, "internal-research") == 0
    # A LoRA on FLUX.1 [dev] whose creator allows everything still inherits non-commercial.
    flux = ModelVersion.objects.filter(model__name="Flux Realism Boost").first()
    assert evaluate(flux.pk, "commercial-products") == 1
    assert evaluate(flux.pk, "internal-research") == 0
    # The in-house uploads the governance demo approved pass the license gate.
    palette = ModelVersion.objects.get(model__name="Studio Brand Palette")
    assert palette.state == "approved"
