"""Key the chain: each entry says how its hash was made, the head gets a MAC.

Entries already written are plain SHA-256 (``sha256``); every entry from now on is
HMAC-SHA256 keyed with ``HUBGATE_AUDIT_KEY``. The column is added with ``sha256`` as the
value for existing rows, then its default becomes ``hmac-sha256``. Adding a column with a
default rewrites no row (on PostgreSQL it fires no row trigger), so no hash changes.
``manage.py audit rekey`` then seals the unkeyed entries under the key.
"""

from django.db import migrations, models

CHOICES = [
    ("sha256", "SHA-256, unkeyed (written before the chain was keyed)"),
    ("hmac-sha256", "HMAC-SHA256 keyed with HUBGATE_AUDIT_KEY"),
]
HELP = "sha256: written before the chain was keyed; hmac-sha256 ever since."


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_trigger")]

    operations = [
        migrations.AddField(
            model_name="auditentry",
            name="hash_algorithm",
            field=models.CharField(choices=CHOICES, default="sha256", help_text=HELP, max_length=16),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="hash_algorithm",
            field=models.CharField(
                choices=CHOICES, default="hmac-sha256", help_text=HELP, max_length=16
            ),
        ),
        migrations.AddField(
            model_name="audithead",
            name="mac",
            field=models.CharField(
                blank=True,
                help_text="HMAC of (last_entry_id, last_hash, count); blank before the chain "
                "was keyed.",
                max_length=64,
            ),
        ),
    ]
