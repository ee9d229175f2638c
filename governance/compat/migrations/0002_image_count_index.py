"""An index for the Most Images sort, as 0001 made for the other sorts (keyset paging)."""

from django.db import migrations

NAME = "compat_model_images_idx"


def create(apps, schema_editor) -> None:
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(
        f"CREATE INDEX {concurrently}IF NOT EXISTS {NAME} ON catalog_model (image_count, id)"
    )


def drop(apps, schema_editor) -> None:
    schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("compat", "0001_sort_indexes"), ("catalog", "0005_model_image_count")]

    operations = [migrations.RunPython(create, drop)]
