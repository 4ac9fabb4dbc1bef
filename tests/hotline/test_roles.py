import pytest
from django.contrib.auth.models import Group

from hotline.roles import ROLE_NAMES, role_permissions

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_each_role_group_holds_exactly_its_permissions_after_migrating(role):
    held = {
        f"{app}.{codename}"
        for app, codename in Group.objects.get(name=role).permissions.values_list(
            "content_type__app_label", "codename"
        )
    }
    # A misspelt permission in an app's grants would be missing here.
    assert held == role_permissions()[role]
    assert held


def test_no_role_may_delete_reports_events_or_escalations():
    for codes in role_permissions().values():
        assert not any(code.split(".")[1].startswith("delete_report") for code in codes)
        assert "reports.delete_event" not in codes
        assert "reports.delete_escalation" not in codes


def test_auditors_change_nothing():
    assert all(code.split(".")[1].startswith("view_") for code in role_permissions()["auditor"])


def test_a_migrate_gives_the_roles_back_what_someone_took(django_db_blocker):
    from django.core.management import call_command

    Group.objects.get(name="analyst").permissions.clear()
    call_command("migrate", verbosity=0)
    assert "reports.triage_report" in {
        f"{app}.{codename}"
        for app, codename in Group.objects.get(name="analyst").permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


def test_only_supervisors_decide_on_provider_candidates():
    deciders = [
        role
        for role, codes in role_permissions().items()
        if "hotline.decide_providercandidate" in codes
    ]
    assert deciders == ["supervisor"]
    assert (
        Group.objects.filter(permissions__codename="decide_providercandidate").get().name
        == "supervisor"
    )
