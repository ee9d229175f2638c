"""Signals other apps listen to, so ingest does not depend on them."""

from django.dispatch import Signal

#: Sent with ``version`` after a file of it was added or got new bytes (inside the transaction).
version_files_changed = Signal()
