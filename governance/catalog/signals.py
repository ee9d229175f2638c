"""Signals of the catalog that ``post_save`` cannot give: bulk imports write rows in bulk."""

from django.dispatch import Signal

#: Sent inside the import's transaction after models were created or updated in bulk, with
#: ``model_ids`` (a list of ints). Receivers that enqueue work do so with on_commit.
models_written = Signal()

#: Sent inside the transaction with ``model`` and ``fields`` (the names that changed, among
#: ``models.PERMISSION_FLAG_FIELDS``) when a creator's permission flags changed: by an
#: import or hub sync, or an edit through :func:`services.announce_permission_flags`.
permission_flags_changed = Signal()

#: Sent inside the transaction with ``version_ids`` when an import added versions of models
#: already or newly in the catalog. Receivers that enqueue work do so with on_commit.
versions_added = Signal()

#: Sent when a version was read over the API, with ``version``, ``user``, ``client`` and
#: ``response`` (the answer that serves the read): the usage app records it.
version_read = Signal()
