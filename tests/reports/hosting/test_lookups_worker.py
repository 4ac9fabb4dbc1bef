"""Lookups run in their own queue, served by their own worker; one whose task was lost is found
again from the database. A real worker, beat and Redis, and the DNS and RDAP servers."""

from hotline.actors import Actor
from reports.broker import broker_quiet
from reports.intake import report_submit, submission_clean
from reports.models import Channel, HostingLookup, Report
from tests.reports.live_worker import wait_until
from tests.reports.timers_live.conftest import live, redis_server  # noqa: F401  (fixtures)
from tests.reports.timers_live.support import LIVE

pytestmark = LIVE


def submit(url: str) -> Report:
    return report_submit(
        submission=submission_clean(url=url), channel=Channel.WEB, actor=Actor.public()
    ).report


def done(report: Report) -> HostingLookup:
    def finished():
        report.refresh_from_db()
        return report.hosting_lookup

    return wait_until(finished, timeout=30, what=f"{report.reference} to be looked up")


def test_the_lookups_worker_runs_them_and_a_lost_one_is_found_again(
    live,  # noqa: F811  (the fixture imported above)
    outside,
    directory,
    settings,
):
    live.configure(
        HOTLINE_DNS_RESOLVERS=settings.HOTLINE_DNS_RESOLVERS,
        HOTLINE_SANDBOX=settings.HOTLINE_SANDBOX,
        HOTLINE_OUTSIDE_CA_FILE=settings.HOTLINE_OUTSIDE_CA_FILE,
        HOTLINE_LOOKUP_RESUME_SECONDS=1,
    )
    client = live.broker_client()
    first = submit("https://img.known.example/live/1")
    assert (client.llen("lookups"), client.llen("celery")) == (1, 0)  # its own queue

    live.start_worker("lookups", queues="lookups")
    assert done(first).provider == directory["known"]

    with broker_quiet():  # its task lost, as with a broker that lost everything
        lost = submit("https://pics.unknown.example/live/2")
    assert client.llen("lookups") == 0
    live.start_beat()
    assert done(lost).candidate.name == "Unlisted Hosting Ltd"
