"""A provider on channel "both" (e-mail and webhook): a notice is undeliverable only when no
channel took it; one channel failing while the other delivers leaves it running."""

from datetime import timedelta

import pytest

from hotline.models import DeliveryChannels
from reports.models import Event, Notice, OutgoingMessage
from tests.mail_server import free_port
from tests.reports.factories import ActionableReportFactory, ProviderFactory
from tests.reports.outbox.support import drain, send
from tests.reports.support import T0

webhooks = pytest.importorskip("hotline.integrations.webhooks", reason="no webhook client yet")
secrets = pytest.importorskip("hotline.secrets", reason="no secrets module yet")

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider(settings):
    """E-mail and a webhook whose endpoint (a documentation address routed to a loopback port
    where nothing listens) is down."""
    settings.HOTLINE_SANDBOX = f"198.51.100.0/24:80=127.0.0.1:{free_port()}"
    return ProviderFactory(
        abuse_email="abuse@both.example",
        channel=DeliveryChannels.BOTH,
        webhook_url="http://198.51.100.7/hotline-notices",
        webhook_secret=secrets.secret_encrypt(webhooks.webhook_secret_generate()),
    )


def by_channel() -> dict[str, OutgoingMessage]:
    return {message.channel: message for message in OutgoingMessage.objects.all()}


def give_up_on(channel: str, clock) -> None:
    while by_channel()[channel].status == "pending":
        clock.move_to(by_channel()[channel].next_attempt_at)
        drain()


def test_the_webhook_failing_while_the_email_is_delivered_leaves_the_notice_open(
    actor, clock, mail_server, provider
):
    notice = send(ActionableReportFactory(provider=provider), actor)
    assert drain() == {"sent": 1, "retry": 1}
    notice.refresh_from_db()
    assert (notice.status, notice.handed_off_at) == (Notice.Status.OPEN, T0)

    give_up_on("webhook", clock)

    assert by_channel()["webhook"].status == "failed"
    notice.refresh_from_db()
    assert (notice.status, notice.undeliverable_at) == (Notice.Status.OPEN, None)
    assert Event.objects.filter(report=notice.report, verb="message_gave_up").exists()
    assert len(mail_server.received) == 1


def test_the_email_refused_while_the_webhook_still_tries_is_not_yet_undeliverable(
    actor, clock, mail_server, provider
):
    mail_server.refuse = {"abuse@both.example"}
    notice = send(ActionableReportFactory(provider=provider), actor)
    assert drain() == {"failed": 1, "retry": 1}
    notice.refresh_from_db()
    assert notice.status == Notice.Status.DELIVERING  # the webhook may still take it

    give_up_on("webhook", clock)

    notice.refresh_from_db()
    assert notice.status == Notice.Status.UNDELIVERABLE  # now no channel is left
    assert notice.undeliverable_at >= T0 + timedelta(hours=72)
