"""Signals other apps listen to, so licensing does not depend on them."""

from django.dispatch import Signal

#: Sent after commit with ``scope`` (the keys of ``selectors.versions_in_scope``) and
#: ``reason`` when license terms, a model's permission flags, a profile or a license
#: decision changed: approvals re-evaluate requests, scoring rescores.
terms_changed = Signal()
