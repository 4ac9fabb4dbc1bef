"""A provider's channel failing for HOTLINE_DELIVERY_ALERT_AFTER: the supervisors are told once,
by e-mail, until a delivery on that channel succeeds; /healthz shows what waits and fails."""

from datetime import timedelta

import pytest

from reports.models import DeliveryAlert, OutgoingMessage
from tests.reports.factories import ActionableReportFactory, ProviderFactory, StaffUserFactory
from tests.reports.outbox.support import drain, send
from tests.reports.support import T0

pytestmark = pytest.mark.django_db

SUPERVISORS = ["sam@hotline.example.org", "sue@hotline.example.org"]


@pytest.fixture
def staff(db):
    for name in ("sam", "sue"):
        StaffUserFactory(username=name, role="supervisor", email=f"{name}@hotline.example.org")
    StaffUserFactory(username="sid", role="supervisor")  # no address: cannot be told
    StaffUserFactory(username="ann", role="analyst", email="ann@hotline.example.org")


def received_by(mail_server, address: str) -> list:
    return [r.message for r in mail_server.received if r.rcpt_tos == [address]]


def test_a_channel_failing_for_an_hour_alerts_each_supervisor_once_until_it_delivers(
    actor, clock, mail_server, staff, client
):
    provider = ProviderFactory(name="Flaky Mail BV", abuse_email="abuse@flaky.example")
    mail_server.defer = {"abuse@flaky.example"}
    send(ActionableReportFactory(provider=provider), actor)
    assert drain() == {"retry": 1}

    clock.move_to(T0 + timedelta(minutes=59))
    drain()
    assert not DeliveryAlert.objects.exists()

    clock.move_to(T0 + timedelta(hours=1))
    drain()  # raises the alert and queues the supervisors' e-mails
    drain()  # which go by the hotline's own mail server
    alert = DeliveryAlert.objects.get()
    assert (alert.provider, alert.channel, alert.failing_since) == (provider, "email", T0)
    assert alert.cleared_at is None
    for address in SUPERVISORS:
        [email] = received_by(mail_server, address)
        assert "Flaky Mail BV" in email["Subject"] and "2026-03-02T09:00:00Z" in email["Subject"]
        assert "451" in email.get_body(("plain",)).get_content()
    assert received_by(mail_server, "ann@hotline.example.org") == []
    delivery = client.get("/healthz").json()["delivery"]
    assert delivery["waiting"] == 1 and delivery["retrying"] == 1
    assert delivery["oldest_waiting_seconds"] == 3600
    assert delivery["alerts"] == [
        {"provider": "Flaky Mail BV", "channel": "email", "failing_since": T0.isoformat()}
    ]

    for hours in (2, 3, 5):  # still failing: not told again
        clock.move_to(T0 + timedelta(hours=hours))
        drain()
    assert DeliveryAlert.objects.count() == 1
    assert [len(received_by(mail_server, address)) for address in SUPERVISORS] == [1, 1]

    mail_server.defer = set()
    clock.move_to(OutgoingMessage.objects.get(provider=provider).next_attempt_at)
    assert drain() == {"sent": 1}
    alert.refresh_from_db()
    assert alert.cleared_at == OutgoingMessage.objects.get(provider=provider).sent_at
    delivery = client.get("/healthz").json()["delivery"]
    assert (delivery["waiting"], delivery["alerts"]) == (0, [])


def test_a_given_up_message_counts_in_the_health_check_for_a_day(actor, clock, mail_server, client):
    provider = ProviderFactory(abuse_email="nobody@hosting.example")
    mail_server.refuse = {"nobody@hosting.example"}
    send(ActionableReportFactory(provider=provider), actor)
    assert drain() == {"failed": 1}

    assert client.get("/healthz").json()["delivery"]["failed_24h"] == 1
    clock.move_to(T0 + timedelta(hours=24, seconds=1))
    assert client.get("/healthz").json()["delivery"]["failed_24h"] == 0
