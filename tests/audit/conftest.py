import pytest

from governance.audit.models import AuditEntry
from governance.audit.services import record


@pytest.fixture
def entries(db) -> list[AuditEntry]:
    """Five chained entries, one per version 1-5."""
    return [
        record(action="version.submitted", object_type="catalog.modelversion", object_id=str(n))
        for n in range(1, 6)
    ]
