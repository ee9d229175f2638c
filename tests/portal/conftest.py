from tests.approvals.conftest import company, stored_version  # noqa: F401
