"""Signals other apps listen to, so scanning does not depend on them."""

from django.dispatch import Signal

#: Sent with ``blob`` and ``scan`` when a scan of the blob has finished (after commit).
scan_finished = Signal()
