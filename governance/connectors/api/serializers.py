from rest_framework import serializers

from governance.accounts.models import Team

from ..models import ConnectorJob


class ConnectorJobSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    owning_team = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    percent = serializers.FloatField(
        read_only=True, allow_null=True, help_text="done / total in %, null while unknown"
    )

    class Meta:
        model = ConnectorJob
        fields = [
            "id",
            "hub",
            "kind",
            "status",
            "reference",
            "options",
            "created_by",
            "owning_team",
            "model",
            "unit",
            "done",
            "total",
            "percent",
            "failed",
            "message",
            "errors",
            "created_at",
            "started_at",
            "finished_at",
            "updated_at",
        ]
        read_only_fields = fields


class ImportRequestSerializer(serializers.Serializer):
    reference = serializers.CharField(
        max_length=2000,
        help_text="A CivitAI model (civitai:123 or civitai:123@456), URL "
        "(https://civitai.com/models/123?modelVersionId=456), "
        "AIR (urn:air:sdxl:lora:civitai:123@456) or a file hash.",
    )
    team = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Team.objects.all(),
        required=False,
        allow_null=True,
        help_text="The team that will own the model (one of yours).",
    )
    download = serializers.BooleanField(
        default=False, help_text="Also download the named (or newest) version's files."
    )
    track = serializers.BooleanField(default=True, help_text="Keep it in sync with the hub.")
