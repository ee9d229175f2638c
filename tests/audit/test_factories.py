import pytest

from governance.audit.models import GENESIS_HASH, AuditHead
from governance.audit.selectors import verify_chain
from tests.accounts.factories import TeamFactory
from tests.audit.factories import AuditEntryFactory

pytestmark = pytest.mark.django_db


def test_audit_entries_are_appended_to_a_chain_that_verifies():
    first, second = AuditEntryFactory(), AuditEntryFactory(action="team.deleted", after=None)
    for entry in (first, second):
        entry.full_clean()
        assert entry.hash == entry.compute_hash()
    assert (first.prev_hash, second.prev_hash) == (GENESIS_HASH, first.hash)
    assert AuditHead.objects.get().last_hash == second.hash
    assert verify_chain().ok


def test_an_audit_entry_names_its_object_and_actor():
    team = TeamFactory(name="Studio Berlin")
    entry = AuditEntryFactory(obj=team)
    assert (entry.object_type, entry.object_id) == ("accounts.team", str(team.pk))
    assert entry.object_repr == "Studio Berlin" and entry.after == {"name": "Studio Berlin"}
    assert entry.actor_repr == entry.actor.username
