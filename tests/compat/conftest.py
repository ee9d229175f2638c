from tests.compat.catalog import catalog  # noqa: F401
from tests.compat.test_download import stored  # noqa: F401
from tests.connectors.hub import (  # noqa: F401
    _eager_celery,
    fake_hub,
    hub_client,
    hub_settings,
    sleeps,
)
