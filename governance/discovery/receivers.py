"""Re-index a model after any change that alters what search sees (after the commit)."""

from __future__ import annotations

import logging

from django.db import connection, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from governance.catalog.models import Image, Model, ModelVersion
from governance.catalog.signals import models_written

logger = logging.getLogger(__name__)


class _Reindex:
    """An on-commit callback for one model; an import touches a model many times in one
    transaction, and one re-index after the commit is enough."""

    def __init__(self, model_id: int) -> None:
        self.model_id = model_id
        self.fired = False

    def __call__(self) -> None:
        from .tasks import reindex_model_task

        self.fired = True
        reindex_model_task.delay(self.model_id)


def _enqueue(model_id: int | None) -> None:
    if model_id is None:
        return
    if connection.in_atomic_block and any(
        isinstance(func, _Reindex) and func.model_id == model_id and not func.fired
        for _, func, _ in connection.run_on_commit
    ):
        return
    transaction.on_commit(_Reindex(model_id))


@receiver(post_save, sender=Model)
def _model_saved(sender, instance: Model, raw: bool = False, **kwargs) -> None:
    if not raw:
        _enqueue(instance.pk)


@receiver(post_save, sender=ModelVersion)
@receiver(post_delete, sender=ModelVersion)
def _version_changed(sender, instance: ModelVersion, raw: bool = False, **kwargs) -> None:
    if not raw:
        _enqueue(instance.model_id)


@receiver(post_save, sender=Image)
def _image_saved(sender, instance: Image, raw: bool = False, **kwargs) -> None:
    if not raw:
        _enqueue(
            ModelVersion.objects.filter(pk=instance.version_id)
            .values_list("model_id", flat=True)
            .first()
        )


@receiver(m2m_changed, sender=Model.tags.through)
def _tags_changed(sender, instance, action: str, **kwargs) -> None:
    if action in {"post_add", "post_remove", "post_clear"} and isinstance(instance, Model):
        _enqueue(instance.pk)


@receiver(post_delete, sender=Model)
def _model_deleted(sender, instance: Model, **kwargs) -> None:
    from .services import remove_models

    remove_models([instance.pk])


@receiver(models_written)
def _models_imported(sender, model_ids: list[int], **kwargs) -> None:
    # The full-text document is written in the import's own transaction (cheap, and search
    # is consistent with the catalog at commit). Embeddings and preview hashes (decoding each
    # blurhash costs as much as the import itself) follow from the task after the commit.
    from .services import index_models

    try:
        with transaction.atomic():  # a savepoint: an index failure must not fail the import
            index_models(model_ids, semantic=False, images=False)
    except Exception:
        # The stale sweep (reindex_stale_task) and the task below catch up.
        logger.exception("Search index not updated in the import of models %s", model_ids)
    for model_id in model_ids:
        _enqueue(model_id)
