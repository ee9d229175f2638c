"""The search filters' values on the search documents, filled in for existing documents, and
on PostgreSQL one multicolumn GIN index over the text, the filter keys and the NSFW level
(btree_gin lets a GIN index hold the integer), so a filtered text search is one index scan; it
replaces the tsvector-only GIN index of 0002."""

from django.db import migrations, models

from governance.discovery.filters import filter_fields

BATCH = 2000
POSTGRES_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS btree_gin",
    "CREATE INDEX IF NOT EXISTS discovery_searchdocument_match_gin ON discovery_searchdocument "
    "USING gin (vector, string_to_array(filter_keys, ' '), nsfw_level)",
    # A multicolumn GIN index serves a condition on any of its columns alone: the tsvector's
    # own index (0002) would only cost every write a second copy.
    "DROP INDEX IF EXISTS discovery_searchdocument_vector_gin",
]
POSTGRES_BACKWARD = [
    "CREATE INDEX IF NOT EXISTS discovery_searchdocument_vector_gin "
    "ON discovery_searchdocument USING gin (vector)",
    "DROP INDEX IF EXISTS discovery_searchdocument_match_gin",
]


def backfill(apps, schema_editor):
    document = apps.get_model("discovery", "SearchDocument")
    ids = list(document.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        fields = filter_fields(batch, registry=apps)
        rows = []
        for doc in document.objects.filter(pk__in=batch).only("pk"):
            doc.filter_keys, doc.nsfw_level = fields.get(doc.pk, ("", 0))
            rows.append(doc)
        document.objects.bulk_update(rows, ["filter_keys", "nsfw_level"])


def postgres(statements):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return operation


class Migration(migrations.Migration):
    dependencies = [("discovery", "0002_database_indexes")]

    operations = [
        migrations.AddField(
            model_name="searchdocument",
            name="filter_keys",
            field=models.TextField(blank=True, default=""),
        ),
        migrations.AddField(
            model_name="searchdocument",
            name="nsfw_level",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.RunPython(postgres(POSTGRES_FORWARD), postgres(POSTGRES_BACKWARD)),
    ]
