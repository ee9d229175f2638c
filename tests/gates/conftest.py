from tests.approvals.conftest import company  # noqa: F401  (fixtures shared with approvals)
from tests.gates.world import world  # noqa: F401
