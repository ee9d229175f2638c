"""Signals other apps listen to, so ingest does not depend on them."""

from django.dispatch import Signal

#: Sent with ``blob`` when new bytes were stored (inside the transaction that created the
#: row): the scanning app queues their scan.
blob_stored = Signal()

#: Sent with ``version`` after a file of it was added or got new bytes (inside the transaction).
version_files_changed = Signal()
