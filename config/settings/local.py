"""Local development settings (the default for manage.py): base settings, DEBUG on."""

from .base import *  # noqa: F403
