from rest_framework import serializers

from governance.catalog.api.fields import VisibleVersionField

from ..models import Blob, UploadSession


class BlobSerializer(serializers.ModelSerializer):
    autov2 = serializers.CharField(read_only=True)
    verdict = serializers.CharField(source="current_scan.verdict", default="pending")

    class Meta:
        model = Blob
        fields = [
            "sha256",
            "autov2",
            "autov1",
            "autov3",
            "crc32",
            "blake3",
            "size",
            "format",
            "verdict",
            "created_at",
        ]


class UploadCreateSerializer(serializers.Serializer):
    filename = serializers.CharField(max_length=255)
    size = serializers.IntegerField(min_value=1)
    version = VisibleVersionField(required=False, allow_null=True)
    declared_format = serializers.CharField(max_length=32, required=False, allow_blank=True)
    expected_hashes = serializers.DictField(
        child=serializers.CharField(),
        required=False,
        help_text='Published hashes to verify, e.g. {"SHA256": "…"}.',
    )


class UploadSessionSerializer(serializers.ModelSerializer):
    blob = BlobSerializer(read_only=True, allow_null=True)

    class Meta:
        model = UploadSession
        fields = [
            "id",
            "filename",
            "size",
            "offset",
            "status",
            "error",
            "version",
            "expected_hashes",
            "blob",
            "created_at",
            "expires_at",
        ]
