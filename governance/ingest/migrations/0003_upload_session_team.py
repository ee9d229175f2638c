import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def charge_existing_uploads_to_their_version_team(apps, schema_editor):
    """Uploads made before quotas count against the team that owns their version."""
    UploadSession = apps.get_model("ingest", "UploadSession")
    ModelVersion = apps.get_model("catalog", "ModelVersion")
    owner = ModelVersion.objects.filter(pk=OuterRef("version_id")).values("model__owning_team_id")
    UploadSession.objects.filter(version__isnull=False).update(team_id=Subquery(owner[:1]))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_idp_group_mapping"),
        ("catalog", "0001_initial"),
        ("ingest", "0002_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="uploadsession",
            name="team",
            field=models.ForeignKey(
                blank=True,
                help_text="The team whose upload quota this upload counts against "
                "(the version's owner).",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="upload_sessions",
                to="accounts.team",
            ),
        ),
        migrations.RunPython(
            charge_existing_uploads_to_their_version_team, migrations.RunPython.noop
        ),
    ]
