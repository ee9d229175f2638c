"""The admin shows scans and findings but never deletes them: a rescan supersedes them."""

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory

from governance.scanning.models import FileScan, Finding

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", [Finding, FileScan])
def test_nobody_not_even_a_superuser_deletes_findings_or_scans(admin_user, model) -> None:
    model_admin = site._registry[model]
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    assert not model_admin.has_delete_permission(request)
    assert "delete_selected" not in model_admin.get_actions(request)
