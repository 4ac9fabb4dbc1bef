import pytest
from django.contrib.auth.models import Group

from hotline.roles import ROLES

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", sorted(ROLES))
def test_each_role_group_holds_exactly_its_permissions_after_migrating(role):
    held = {
        f"{app}.{codename}"
        for app, codename in Group.objects.get(name=role).permissions.values_list(
            "content_type__app_label", "codename"
        )
    }
    # A misspelt permission in hotline/roles.py would be missing here.
    assert held == set(ROLES[role])


def test_no_role_may_delete_reports_events_or_escalations():
    for codes in ROLES.values():
        assert not any(code.split(".")[1].startswith("delete_report") for code in codes)
        assert "reports.delete_event" not in codes
        assert "reports.delete_escalation" not in codes


def test_auditors_change_nothing():
    assert all(code.split(".")[1].startswith("view_") for code in ROLES["auditor"])
