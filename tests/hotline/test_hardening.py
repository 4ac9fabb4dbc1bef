"""Sign-in lockout, two-factor sign-in and the Content-Security-Policy."""

import os
import subprocess
import sys
from urllib.parse import urlencode

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model

from hotline.audit.checkpoints import signing_key_generate
from hotline.secrets import secrets_key_generate

pytestmark = pytest.mark.django_db
LOGIN = "/admin/login/?next=/admin/"


def post_login(client, username, password):
    return client.post(
        LOGIN,
        urlencode({"username": username, "password": password}),
        content_type="application/x-www-form-urlencoded",
    )


@pytest.mark.axes
def test_repeated_failed_sign_ins_lock_the_account_even_with_the_right_password(client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    get_user_model().objects.create_user("analyst1", password="right-password-1", is_staff=True)
    for _ in range(3):
        assert post_login(client, "analyst1", "wrong").status_code in (200, 429)
    locked = post_login(client, "analyst1", "right-password-1")
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.axes
def test_a_correct_sign_in_below_the_limit_works(client):
    get_user_model().objects.create_user("analyst2", password="right-password-2", is_staff=True)
    assert post_login(client, "analyst2", "wrong").status_code == 200
    assert post_login(client, "analyst2", "right-password-2").status_code == 302
    assert client.session["_auth_user_id"]


@pytest.mark.parametrize("path", ["/report/", "/admin/login/", "/api/docs/"])
def test_every_page_has_a_policy_that_allows_no_third_party_origin(client, path):
    response = client.get(path)
    policy = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "http" not in policy and "*" not in policy


def test_swagger_ui_runs_without_inline_script(client):
    page = client.get("/api/docs/").content.decode()
    # Every script is a file from this origin: nothing the policy would block.
    assert "<script>" not in page.replace(" ", "")
    assert '<script src="' in page


AUDIT_SIGNING_KEY = signing_key_generate()


def _production(**extra):
    return os.environ | {
        "HOTLINE_ENV": "production",
        "SECRET_KEY": "x" * 64,
        "HOTLINE_AUDIT_SIGNING_KEY": AUDIT_SIGNING_KEY,
        "HOTLINE_SECRETS_KEY": secrets_key_generate(),
        "ALLOWED_HOSTS": "hotline.example.org",
        "DATABASE_URL": "sqlite:////tmp/hotline-hardening-test.sqlite3",
        "CELERY_BROKER_URL": "memory://",
        "CACHE_URL": "locmemcache://hardening",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        **extra,
    }


def _run(code: str, **extra) -> str:
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env=_production(**extra),
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.strip()


# The admin's sign-in form, and whether it asks for a one-time code.
LOGIN_PAGE = (
    "from django.contrib import admin; "
    "from django.contrib.admin.forms import AdminAuthenticationForm; "
    "form = admin.site.login_form or AdminAuthenticationForm; "
    "print(form.__name__, 'otp_token' in form().fields)"
)


def test_production_asks_staff_for_a_two_factor_code_at_sign_in():
    assert _run(LOGIN_PAGE) == "OTPAdminAuthenticationForm True"
    cookies = (
        "from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)"
    )
    assert _run(cookies) == "True True"


def test_the_laptop_default_signs_in_with_a_password_only():
    assert _run(LOGIN_PAGE, HOTLINE_ENV="development") == "AdminAuthenticationForm False"
