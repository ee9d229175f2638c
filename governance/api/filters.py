"""The query-string filter backend of every list endpoint."""

from __future__ import annotations

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django_filters.rest_framework import DjangoFilterBackend

#: The widest integer the databases store (a 64-bit signed BIGINT on PostgreSQL and SQLite).
DB_INT_MIN, DB_INT_MAX = -(2**63), 2**63 - 1


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, except that a number no database column can hold (an id of
    10**30) is a 400 problem naming the parameter, not an overflow deep in the database."""

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            for field in filterset.form.fields.values():
                if isinstance(field, forms.DecimalField | forms.IntegerField | forms.FloatField):
                    field.validators += [
                        MinValueValidator(DB_INT_MIN),
                        MaxValueValidator(DB_INT_MAX),
                    ]
        return filterset
