"""Shared fixtures, and the rule for tests that need a real service.

A test marked ``postgres`` or ``redis`` runs only where DATABASE_URL / CELERY_BROKER_URL point at
PostgreSQL / Redis; one marked ``e2e`` only where Debian's Chromium and the playwright package are
installed. Elsewhere it is skipped, unless HOTLINE_REQUIRE_SERVICES=1 (as in .ci/run), which makes
the missing service a failure.
"""

import os
from importlib.util import find_spec

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import translation
from rest_framework.test import APIClient

from hotline.services import partner_api_key_create
from hotline.throttling import throttle_cache

REQUIRE_SERVICES = os.environ.get("HOTLINE_REQUIRE_SERVICES") == "1"
CHROMIUM = "/usr/bin/chromium"  # Debian's package; Playwright never downloads a browser here


def _service_missing(marker_name: str) -> str | None:
    if marker_name == "postgres" and connection.vendor != "postgresql":
        return "needs PostgreSQL: set DATABASE_URL=postgres://..."
    if marker_name == "redis" and not settings.CELERY_BROKER_URL.startswith("redis://"):
        return "needs Redis: set CELERY_BROKER_URL=redis://..."
    if marker_name == "e2e" and not os.access(CHROMIUM, os.X_OK):
        return f"needs Chromium at {CHROMIUM}: apt-get install chromium"
    if marker_name == "e2e" and find_spec("playwright") is None:
        return "needs the playwright package: pip install -r requirements-dev.txt"
    return None


def pytest_runtest_setup(item):
    for marker_name in ("postgres", "redis", "e2e"):
        if item.get_closest_marker(marker_name) is None:
            continue
        missing = _service_missing(marker_name)
        if missing and REQUIRE_SERVICES:
            pytest.fail(f"{missing} (HOTLINE_REQUIRE_SERVICES=1)", pytrace=False)
        if missing:
            pytest.skip(missing)


@pytest.fixture(autouse=True, scope="session")
def _flush_past_the_audit_triggers():
    """Transactional tests end with a TRUNCATE of every table, which the audit trail's triggers
    refuse. The flush runs with ``session_replication_role = replica`` (it skips ordinary
    triggers): a superuser's setting, which the test database's user is and the service's role
    must not be. Nothing in the service sets it."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    sql_flush = DatabaseOperations.sql_flush

    def flush_as_superuser(self, style, tables, **kwargs):
        statements = sql_flush(self, style, tables, **kwargs)
        return ["SET LOCAL session_replication_role = replica", *statements] if statements else []

    DatabaseOperations.sql_flush = flush_as_superuser
    yield
    DatabaseOperations.sql_flush = sql_flush


@pytest.fixture(autouse=True)
def _isolated_cache():
    # Throttle counters live in the cache (or its per-process fallback): every test starts with
    # a clean budget.
    cache.clear()
    throttle_cache.clear()
    yield
    cache.clear()
    throttle_cache.clear()


@pytest.fixture(autouse=True)
def _no_outside_systems(settings):
    """No DNS server or registry runs unless a test starts one (tests/hotline/integrations,
    tests/reports/hosting): the lookup then records "not configured" at once."""
    settings.HOTLINE_DNS_RESOLVERS = ""
    settings.HOTLINE_SANDBOX = ""
    settings.HOTLINE_OUTSIDE_CA_FILE = ""  # certifi's; a test with TLS stand-ins names theirs
    settings.HOTLINE_PROBES_ENABLED = False  # tests/reports/verification turns them on
    settings.HOTLINE_NOTICE_GROUP_WINDOW = "0"  # each notice goes at once unless a test groups


@pytest.fixture(autouse=True)
def _no_language_left_active():
    """A request through the test client leaves its language active in the thread
    (LocaleMiddleware activates it, nothing deactivates it): the next test would run in it."""
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _login_lockout_only_where_tested(request, settings):
    # The test client's login() authenticates without a request, which django-axes refuses;
    # tests marked `axes` sign in through the real login page with lockout on.
    settings.AXES_ENABLED = request.node.get_closest_marker("axes") is not None


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def partner_key(db):
    """(partner, key): a partner hotline and a valid API key for it."""
    api_key, key, _ = partner_api_key_create(partner_name="Partner Hotline", key_name="test")
    return api_key.partner, key


@pytest.fixture
def partner_client(partner_key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {partner_key[1]}")
    return client
