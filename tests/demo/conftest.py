from tests.compat.catalog import catalog, stored  # noqa: F401
