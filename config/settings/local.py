"""Local development settings (the default for manage.py): base settings, DEBUG on, and the
demo app (``manage.py seed_demo`` for ``make run``, the fake CivitAI hub, evaluation sets)."""

import copy

from .base import *  # noqa: F403
from .base import INSTALLED_APPS, TEMPLATES

# The demo's fake CivitAI hub (manage.py fake_hub) and local webhook receivers listen on
# this machine; a laptop may reach them.
HUBGATE_OUTBOUND_ALLOW = env.list(  # noqa: F405
    "HUBGATE_OUTBOUND_ALLOW", default=["127.0.0.1", "::1", "localhost"]
)

# Never in production settings: the demo creates accounts with a published password.
INSTALLED_APPS = [*INSTALLED_APPS, "governance.demo"]
TEMPLATES = copy.deepcopy(TEMPLATES)
# The sign-in page's "sign in as alice / hubgate-demo" line.
TEMPLATES[0]["OPTIONS"]["context_processors"].append("governance.demo.context_processors.demo")
