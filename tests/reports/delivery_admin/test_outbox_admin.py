"""The outbox in the admin: every message, read-only, what failed; a provider's test delivery;
and the banner every staff page shows while a provider's channel is failing."""

from datetime import UTC, datetime

import pytest
from django.test import Client

from reports import outbox
from reports.models import DeliveryAlert, Event, OutgoingMessage

pytestmark = pytest.mark.django_db

OUTBOX = "/admin/reports/outgoingmessage/"


def post(client, url: str):
    return client.post(url, "", content_type="application/x-www-form-urlencoded")


def delivery_test_url(provider) -> str:
    return f"/admin/reports/outgoingmessage/test-delivery/{provider.pk}/"


# --- test delivery ----------------------------------------------------------------------------


def test_a_supervisor_queues_a_test_message_and_sees_it_go_in_the_providers_messages(
    sam, provider, people, mail_accepted, mailoutbox
):
    page = sam.get(f"/admin/hotline/provider/{provider.pk}/change/").content.decode()
    assert f'action="{delivery_test_url(provider)}"' in page

    response = post(sam, delivery_test_url(provider))

    assert response.status_code == 302
    shown = sam.get(response.url).content.decode()
    assert "Example Images BV: a test message was queued by e-mail (abuse@images.example)" in shown
    [message] = OutgoingMessage.objects.all()
    assert (message.kind, message.channel, message.target, message.status) == (
        "test",
        "email",
        "abuse@images.example",
        "pending",
    )
    [event] = Event.objects.filter(verb="provider_test_delivery")
    assert event.report_id is None and event.actor_user == people["supervisor"]
    assert event.data == {"provider": provider.pk, "messages": [message.pk], "channels": ["email"]}

    outbox.outbox_drain()

    listing = sam.get(f"{OUTBOX}?provider__id__exact={provider.pk}").content.decode()
    assert f"{OUTBOX}{message.pk}/change/" in listing
    assert '<td class="field-status">sent</td>' in listing
    assert [m.to for m in mailoutbox] == [["abuse@images.example"]]


def test_an_analyst_cannot_queue_a_test_message(ann, provider):
    page = ann.get(f"/admin/hotline/provider/{provider.pk}/change/").content.decode()

    assert "Test delivery" not in page
    assert post(ann, delivery_test_url(provider)).status_code == 403
    assert not OutgoingMessage.objects.exists()
    assert not Event.objects.filter(verb="provider_test_delivery").exists()


# --- the outbox list --------------------------------------------------------------------------


def message(provider, status: str, **fields) -> OutgoingMessage:
    return OutgoingMessage.objects.create(
        kind="notice",
        channel=fields.pop("channel", "email"),
        target=fields.pop("target", provider.abuse_email),
        provider=provider,
        status=status,
        **fields,
    )


def test_the_outbox_lists_each_message_and_the_delivery_failed_view_only_the_failed(ann, provider):
    failed = message(
        provider,
        "failed",
        attempts=6,
        last_error="recipient refused: 550",
        failed_at=datetime.now(UTC),
    )
    retrying = message(
        provider,
        "pending",
        channel="webhook",
        target="https://hooks.images.example/abuse",
        attempts=2,
        possible_duplicate=True,
        last_error="the endpoint answered 503",
    )

    everything = ann.get(OUTBOX).content.decode()
    only_failed = ann.get(f"{OUTBOX}?delivery=failed").content.decode()

    for column in (
        "kind",
        "channel",
        "target",
        "provider",
        "status",
        "attempts",
        "next_attempt_shown",
        "possible_duplicate",
        "last_error",
    ):
        assert f"column-{column}" in everything, column
    assert "https://hooks.images.example/abuse" in everything
    assert "the endpoint answered 503" in everything
    assert f"{OUTBOX}{failed.pk}/change/" in only_failed
    assert f"{OUTBOX}{retrying.pk}/change/" not in only_failed
    for parameter in ("status__exact=failed", "channel__exact=webhook", "kind__exact=notice"):
        assert parameter in everything, parameter


def test_the_outbox_is_read_only_and_shows_no_body(sam, provider):
    sent = message(provider, "sent", subject="[HL-ref:HL-AAAA-BBBB] Notice", body_text="hxxps://x")

    page = sam.get(f"{OUTBOX}{sent.pk}/change/").content.decode()

    assert "[HL-ref:HL-AAAA-BBBB] Notice" in page
    assert "hxxps://x" not in page
    assert 'name="_save"' not in page
    assert sam.get(f"{OUTBOX}add/").status_code == 403
    assert post(sam, f"{OUTBOX}{sent.pk}/delete/").status_code == 403


# --- the banner -------------------------------------------------------------------------------


@pytest.fixture
def alert(provider):
    return DeliveryAlert.objects.create(
        provider=provider,
        channel="webhook",
        failing_since=datetime(2026, 11, 30, 8, 15, tzinfo=UTC),
        last_error="the endpoint answered 503",
    )


BANNER = (
    "Delivery to Example Images BV by webhook failing since 2026-11-30 08:15 UTC: "
    "the endpoint answered 503"
)


@pytest.mark.parametrize(
    "url", ["/admin/", "/admin/reports/report/", "/admin/hotline/provider/", "/admin/sla/"]
)
def test_every_admin_page_shows_an_open_alert(sam, alert, url):
    page = sam.get(url).content.decode()

    assert BANNER in page
    assert f'href="/admin/hotline/provider/{alert.provider_id}/change/"' in page


def test_a_cleared_alert_is_no_longer_shown(ann, alert):
    assert BANNER in ann.get("/admin/").content.decode()

    outbox.alerts_clear(alert.provider_id, "webhook", datetime.now(UTC))

    assert "delivery-alerts" not in ann.get("/admin/").content.decode()


def test_the_sign_in_page_shows_no_alert(alert):
    page = Client().get("/admin/login/").content.decode()

    assert "Example Images BV" not in page
