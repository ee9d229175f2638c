import django.contrib.postgres.search
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("catalog", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchDocument",
            fields=[
                (
                    "model",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="search_document",
                        serialize=False,
                        to="catalog.model",
                    ),
                ),
                ("name", models.TextField()),
                ("keywords", models.TextField(blank=True)),
                ("facets", models.TextField(blank=True)),
                ("body", models.TextField(blank=True)),
                ("vector", django.contrib.postgres.search.SearchVectorField(null=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
        ),
        migrations.CreateModel(
            name="ModelEmbedding",
            fields=[
                (
                    "model",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="embedding",
                        serialize=False,
                        to="catalog.model",
                    ),
                ),
                ("encoder", models.CharField(max_length=100)),
                ("text_sha256", models.CharField(max_length=64)),
                ("vector", models.BinaryField()),
                ("updated_at", models.DateTimeField(auto_now=True, db_index=True)),
            ],
        ),
        migrations.CreateModel(
            name="ImageHash",
            fields=[
                (
                    "image",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="perceptual_hash",
                        serialize=False,
                        to="catalog.image",
                    ),
                ),
                ("dhash", models.BigIntegerField()),
                ("source", models.CharField(max_length=16)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "model",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="image_hashes",
                        to="catalog.model",
                    ),
                ),
            ],
            options={"indexes": [models.Index(fields=["model"], name="discovery_i_model_i_f33b4c_idx")]},
        ),
    ]
