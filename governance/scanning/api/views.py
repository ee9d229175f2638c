"""Scans and findings, read-only: what the scanner plugins said about each stored file."""

import django_filters
from django.db.models import F, QuerySet
from rest_framework import viewsets

from governance.hookspecs import Severity

from .. import selectors
from ..models import FileScan, Finding, Verdict
from . import serializers


def _current(queryset: QuerySet, value: bool, scan_path: str) -> QuerySet:
    lookup = {f"{scan_path}blob__current_scan_id": F(f"{scan_path}id" if scan_path else "id")}
    return queryset.filter(**lookup) if value else queryset.exclude(**lookup)


class FileScanFilter(django_filters.FilterSet):
    sha256 = django_filters.CharFilter(method="filter_sha256", help_text="The file's SHA256.")
    verdict = django_filters.ChoiceFilter(choices=Verdict.choices)
    status = django_filters.ChoiceFilter(choices=FileScan.Status.choices)
    file = django_filters.NumberFilter(
        field_name="blob__model_files", distinct=True, help_text="A catalog file id."
    )
    version = django_filters.NumberFilter(
        field_name="blob__model_files__version", distinct=True, help_text="A version id."
    )
    current = django_filters.BooleanFilter(
        method="filter_current", help_text="Only current (or only earlier) scans."
    )

    class Meta:
        model = FileScan
        fields = ["sha256", "verdict", "status", "file", "version", "current"]

    def filter_sha256(self, queryset, name, value):
        return queryset.filter(blob__sha256=value.strip().upper())

    def filter_current(self, queryset, name, value):
        return _current(queryset, value, "")


class FileScanViewSet(viewsets.ReadOnlyModelViewSet):
    """Scans of stored files, newest first, each with its findings."""

    serializer_class = serializers.FileScanSerializer
    filterset_class = FileScanFilter
    ordering_fields = ["queued_at", "finished_at"]
    ordering = ["-queued_at", "-id"]

    def get_queryset(self):
        return selectors.scans_visible_to(self.request.user).prefetch_related("findings")


class FindingFilter(django_filters.FilterSet):
    severity = django_filters.MultipleChoiceFilter(choices=[(s.value, s.value) for s in Severity])
    min_severity = django_filters.ChoiceFilter(
        choices=[(s.value, s.value) for s in Severity],
        method="filter_min_severity",
        help_text="This severity or worse.",
    )
    sha256 = django_filters.CharFilter(method="filter_sha256", help_text="The file's SHA256.")
    version = django_filters.NumberFilter(
        field_name="scan__blob__model_files__version", distinct=True, help_text="A version id."
    )
    file = django_filters.NumberFilter(
        field_name="scan__blob__model_files", distinct=True, help_text="A catalog file id."
    )
    current = django_filters.BooleanFilter(
        method="filter_current", help_text="Only findings of current scans."
    )

    class Meta:
        model = Finding
        fields = ["severity", "scanner", "code", "scan", "sha256", "version", "file", "current"]

    def filter_min_severity(self, queryset, name, value):
        return queryset.filter(severity_rank__gte=Severity(value).rank)

    def filter_sha256(self, queryset, name, value):
        return queryset.filter(scan__blob__sha256=value.strip().upper())

    def filter_current(self, queryset, name, value):
        return _current(queryset, value, "scan__")


class FindingViewSet(viewsets.ReadOnlyModelViewSet):
    """What scanners found, worst first."""

    serializer_class = serializers.FindingSerializer
    filterset_class = FindingFilter
    search_fields = ["message", "code", "member"]
    ordering_fields = ["severity_rank", "id"]
    ordering = ["-severity_rank", "-id"]

    def get_queryset(self):
        return selectors.findings_visible_to(self.request.user)
