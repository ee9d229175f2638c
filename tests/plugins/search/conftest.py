from tests.discovery.conftest import catalog, semantic_catalog  # noqa: F401  (shared fixtures)
