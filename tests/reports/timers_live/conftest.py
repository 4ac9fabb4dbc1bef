"""Fixtures shared by the tests of deadlines with a real worker, beat and redis."""

import pytest
from django.contrib.auth.models import Permission
from django.db.models import Q

from hotline.actors import Actor
from hotline.roles import role_permissions
from tests.reports.factories import StaffUserFactory
from tests.reports.live_worker import LiveCelery, RedisServer, use_broker
from tests.reports.timers_live.support import BASE_POLICY


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    """The broker of these tests: a redis-server of their own, which they may flush."""
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def live(settings, tmp_path, transactional_db, redis_server):
    """Starts worker and beat processes; this process publishes to their broker meanwhile."""
    client = redis_server.client()
    client.flushdb()
    with use_broker(redis_server.url):
        celery = LiveCelery(tmp_path, redis_server.url, settings)
        celery.configure(**BASE_POLICY)
        try:
            yield celery
        finally:
            celery.stop_all()  # before pytest-django empties the database
            client.flushdb()
    # No task raised and no sweep logged a failure in any of the processes.
    assert celery.errors() == []


@pytest.fixture(scope="class")
def shared_celery(django_db_setup, tmp_path_factory, redis_server):
    """One worker for a class of tests. It hands the notices over (its delivery tasks), so the
    deadlines it sets are BASE_POLICY's 5 s; later it reads them from the rows."""
    client = redis_server.client()
    client.flushdb()
    with use_broker(redis_server.url):
        celery = LiveCelery(tmp_path_factory.mktemp("shared-worker"), redis_server.url)
        celery.configure(**BASE_POLICY)
        try:
            celery.start_worker()
            yield celery
        finally:
            celery.stop_all()
            client.flushdb()


@pytest.fixture
def worker(shared_celery, settings, transactional_db):
    """The shared worker, its log read from this test on; this process gets BASE_POLICY."""
    for name, value in BASE_POLICY.items():
        setattr(settings, name, value)
    [proc] = shared_celery.procs
    assert proc.alive(), proc.tail()
    proc.mark()
    yield proc
    print(proc.tail(80))  # shown by pytest when the test failed
    assert shared_celery.errors() == []


@pytest.fixture
def supervisor(transactional_db) -> Actor:
    # Emptying the database between transactional tests drops the roles migration's groups:
    # the supervisor gets the role's permissions directly.
    wanted = Q(pk__in=[])
    for code in role_permissions()["supervisor"]:
        app_label, codename = code.split(".")
        wanted |= Q(content_type__app_label=app_label, codename=codename)
    user = StaffUserFactory(username="supervisor")
    user.user_permissions.set(Permission.objects.filter(wanted))
    return Actor.for_user(user)
