"""Sign-in lockout with real sign-in POSTs: a user name and address pair is locked after 5
failures; a user name alone after 20 (from any addresses), an address alone after 50 (whatever
the names), so that one mistyped name does not lock out an office behind one address. The
lockout page is the hotline's own: how long it lasts and whom to ask."""

from urllib.parse import urlencode

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

pytestmark = [pytest.mark.django_db, pytest.mark.axes]
LOGIN = "/admin/login/?next=/admin/"
OFFICE = "198.51.100.7"


def sign_in(client, username, password, address=OFFICE):
    return client.post(
        LOGIN,
        urlencode({"username": username, "password": password}),
        content_type="application/x-www-form-urlencoded",
        REMOTE_ADDR=address,
    )


@pytest.fixture
def ann(db):
    return get_user_model().objects.create_user("ann", password="ann-password-1", is_staff=True)


def test_five_failures_of_one_name_from_one_address_lock_that_pair(client, ann, settings):
    settings.HOTLINE_ORG_NAME = "Meldpunt Kinderporno"
    settings.HOTLINE_STAFF_HELP = "helpdesk@meldpunt.example"
    for _ in range(5):
        sign_in(client, "ann", "wrong")

    locked = sign_in(client, "ann", "ann-password-1")

    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    page = locked.content.decode()
    assert "<title>Signing in is locked for now | Meldpunt Kinderporno</title>" in page
    assert "for 1 hour" in page
    assert "helpdesk@meldpunt.example" in page
    assert "manage.py axes_reset_username" not in page  # the staff's own help, not ours
    assert 'rel="icon"' in page and "/static/hotline/favicon.svg" in page
    # Another address is a different pair: the same person at home can still sign in.
    assert sign_in(client, "ann", "ann-password-1", address="203.0.113.9").status_code == 302


def test_five_names_mistyped_once_each_from_one_office_lock_nobody_out(client, ann):
    for name in ("anne", "an", "ann.", "Ann ", "amn"):
        assert sign_in(client, name, "ann-password-1").status_code == 200

    assert sign_in(client, "ann", "wrong").status_code == 200
    assert sign_in(client, "ann", "ann-password-1").status_code == 302


def test_a_name_alone_is_locked_after_20_failures_from_any_addresses(client, ann):
    for n in range(19):
        assert sign_in(client, "ann", "wrong", address=f"203.0.113.{n + 1}").status_code == 200

    assert sign_in(client, "ann", "wrong", address="203.0.113.20").status_code == 429
    assert sign_in(client, "ann", "ann-password-1", address="192.0.2.2").status_code == 429


def test_an_address_alone_is_locked_after_50_failures_whatever_the_names(client, ann):
    for n in range(49):
        assert sign_in(client, f"guess{n}", "wrong").status_code == 200

    assert sign_in(client, "guess49", "wrong").status_code == 429
    assert sign_in(client, "ann", "ann-password-1").status_code == 429
    assert sign_in(client, "ann", "ann-password-1", address="192.0.2.3").status_code == 302


def test_the_readme_s_unlock_command_unlocks(client, ann):
    for _ in range(5):
        sign_in(client, "ann", "wrong")
    assert sign_in(client, "ann", "ann-password-1").status_code == 429

    call_command("axes_reset_username", "ann")

    assert sign_in(client, "ann", "ann-password-1").status_code == 302


def test_the_lockout_page_speaks_the_staff_s_language(client, ann):
    for _ in range(5):
        sign_in(client, "ann", "wrong")
    locked = client.post(
        LOGIN,
        urlencode({"username": "ann", "password": "ann-password-1"}),
        content_type="application/x-www-form-urlencoded",
        REMOTE_ADDR=OFFICE,
        headers={"accept-language": "nl"},
    )
    assert "Aanmelden is voorlopig geblokkeerd" in locked.content.decode()
