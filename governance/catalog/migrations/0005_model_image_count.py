"""Model.image_count: the preview images of a model's versions, for CivitAI's Most Images sort
(counted once here for models imported before the column existed)."""

from django.db import migrations, models
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce


def backfill(apps, schema_editor) -> None:
    Model = apps.get_model("catalog", "Model")
    Image = apps.get_model("catalog", "Image")
    counts = (
        Image.objects.filter(version__model_id=OuterRef("pk"))
        .order_by()
        .values("version__model_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    Model.objects.update(image_count=Coalesce(Subquery(counts), 0))


class Migration(migrations.Migration):
    dependencies = [("catalog", "0004_model_type_labels")]

    operations = [
        migrations.AddField(
            model_name="model",
            name="image_count",
            field=models.PositiveIntegerField(
                default=0,
                help_text="Preview images published with its versions (CivitAI's Most Images).",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
