"""Local development settings (the default for manage.py): base settings, DEBUG on."""

from .base import *  # noqa: F403

# The demo's fake CivitAI hub (manage.py fake_civitai) and local webhook receivers listen on
# this machine; a laptop may reach them.
HUBGATE_OUTBOUND_ALLOW = env.list(  # noqa: F405
    "HUBGATE_OUTBOUND_ALLOW", default=["127.0.0.1", "::1", "localhost"]
)
