from tests.compat.catalog import catalog, stored  # noqa: F401
from tests.connectors.hub import (  # noqa: F401
    _eager_celery,
    fake_hub,
    hub_client,
    hub_settings,
    sleeps,
)
