"""The full-text machinery each database needs, created only on that database.

PostgreSQL: the pg_trgm extension, a GIN index on the weighted tsvector and a GIN trigram
index on names (typo tolerance). SQLite: an FTS5 table (bm25 ranking) keyed by model id.
"""

from django.db import migrations

POSTGRES_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS discovery_searchdocument_vector_gin "
    "ON discovery_searchdocument USING gin (vector)",
    "CREATE INDEX IF NOT EXISTS discovery_searchdocument_name_trgm "
    "ON discovery_searchdocument USING gin (name gin_trgm_ops)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS discovery_searchdocument_name_trgm",
    "DROP INDEX IF EXISTS discovery_searchdocument_vector_gin",
]
SQLITE_FORWARD = [
    # Column order = bm25 weight order in plugins.search.fulltext. unicode61 with diacritics
    # removed; prefix indexes make "anim*" (prefix queries) cheap.
    "CREATE VIRTUAL TABLE IF NOT EXISTS discovery_fts USING fts5("
    "name, keywords, facets, body, tokenize='porter unicode61 remove_diacritics 2', "
    "prefix='2 3')",
]
SQLITE_BACKWARD = ["DROP TABLE IF EXISTS discovery_fts"]


def _run(statements_by_vendor):
    def operation(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, ()):
            schema_editor.execute(statement)

    return operation


class Migration(migrations.Migration):
    dependencies = [("discovery", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRES_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": POSTGRES_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        ),
    ]
