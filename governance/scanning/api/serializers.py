from rest_framework import serializers

from ..models import FileScan, Finding


class FindingSerializer(serializers.ModelSerializer):
    sha256 = serializers.CharField(
        source="scan.blob.sha256", read_only=True, help_text="SHA256 of the scanned file."
    )
    current = serializers.SerializerMethodField(
        help_text="Whether this finding is from the file's current scan."
    )

    class Meta:
        model = Finding
        fields = [
            "id",
            "scan",
            "sha256",
            "current",
            "scanner",
            "code",
            "severity",
            "member",
            "message",
            "detail",
        ]

    def get_current(self, finding: Finding) -> bool:
        return finding.scan.blob.current_scan_id == finding.scan_id


class FindingSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Finding
        fields = ["id", "scanner", "code", "severity", "member", "message"]


class FileScanSerializer(serializers.ModelSerializer):
    sha256 = serializers.CharField(source="blob.sha256", read_only=True)
    size = serializers.IntegerField(source="blob.size", read_only=True)
    current = serializers.SerializerMethodField(
        help_text="Whether this is the file's current scan (the one its verdict comes from)."
    )
    findings = FindingSummarySerializer(many=True, read_only=True)

    class Meta:
        model = FileScan
        fields = [
            "id",
            "sha256",
            "size",
            "current",
            "status",
            "verdict",
            "scanner_set",
            "attempts",
            "error",
            "plugin_results",
            "pickle_scan_result",
            "pickle_scan_message",
            "virus_scan_result",
            "virus_scan_message",
            "queued_at",
            "started_at",
            "finished_at",
            "findings",
        ]

    def get_current(self, scan: FileScan) -> bool:
        return scan.blob.current_scan_id == scan.pk
