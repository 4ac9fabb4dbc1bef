"""The one-click answer page: a provider without an API key answers its notices from the link in
the notice e-mail. The notices are sent through the workflow and the outbox, and the link is taken
from the e-mail that reached the locmem backend."""

import io
import logging
import re
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from hotline.actors import Actor
from hotline.log_redaction import AnswerTokenRedaction
from hotline.throttling import AnswerLinkThrottle
from hotline.url import defang
from reports import workflow
from reports.models import Event, Notice, Report, ReportStatus
from tests.reports.answer_page.support import form, link_for, notices_mail, shown_messages
from tests.reports.factories import (
    ActionableReportFactory,
    AgencyFactory,
    ProviderFactory,
    StaffUserFactory,
)
from tests.reports.support import T0

pytestmark = pytest.mark.django_db

DEADLINE = "2026-03-03 09:00"  # T0 + 24 h, the default deadline


@pytest.fixture
def provider(db):
    return ProviderFactory(name="Example Images BV", abuse_email="abuse@images.example")


@pytest.fixture
def sent(provider, actor, clock):
    """Two reports on one provider, told in one message; (link path, [notice, notice])."""
    reports = [
        ActionableReportFactory(
            provider=provider,
            submitted_url="https://img.share-example.com/gallery/view.php?id=77&page=2",
        ),
        ActionableReportFactory(provider=provider),
    ]
    notices = notices_mail(*reports, actor=actor)
    return link_for(provider.abuse_email), notices


def csrf_client() -> Client:
    return Client(enforce_csrf_checks=True)


def post_form(client: Client, path: str, data: dict, **extra):
    # What a browser sends for a form without enctype (the test client defaults to multipart).
    return client.post(
        path, urlencode(data), content_type="application/x-www-form-urlencoded", **extra
    )


def page_token(client: Client, path: str) -> str:
    """The CSRF token of the page's forms (a GET, which also sets the CSRF cookie)."""
    page = client.get(path).content.decode()
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def post_answer(client: Client, path: str, data: dict, **extra):
    """Post as the page's form does: with the token the page gave."""
    return post_form(
        client, path, {"csrfmiddlewaretoken": page_token(client, path), **data}, **extra
    )


def answer(path: str, data: dict):
    """Answer, then follow the redirect back: the page after the answer."""
    client = csrf_client()
    redirect = post_answer(client, path, data)
    assert redirect.status_code == 302
    assert redirect["Location"] == path
    return client.get(path)


def notice_rows():
    return list(Notice.objects.order_by("pk").values())


def without_csrf_tokens(content: bytes) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", content.decode())


# --- what GET shows -------------------------------------------------------------------------


def test_the_page_lists_the_message_s_notices_and_changes_nothing(sent, provider):
    path, notices = sent
    events, rows = Event.objects.count(), notice_rows()

    response = Client().get(path)

    assert response.status_code == 200
    page = response.content.decode()
    assert provider.name in page
    for notice in notices:
        report = notice.report
        assert report.reference in page
        assert escape(defang(report.canonical_url)) in page
        # The exact URL, to copy: in a read-only field and on the copy button, never a link.
        exact = escape(report.canonical_url)
        assert f'value="{exact}" readonly' in page
        assert f'data-copy-url="{exact}"' in page
        assert f'name="notice" value="{notice.pk}"' in page
    assert page.count(DEADLINE) == 2
    for button in ("Removed", "Acknowledge", "Dispute"):
        assert page.count(f">{button}</button>") == 2
    # A GET never acts: mail scanners open links.
    assert Event.objects.count() == events
    assert notice_rows() == rows


def test_the_exact_url_is_never_a_link_an_image_or_a_preview(sent):
    path, notices = sent
    page = Client().get(path).content.decode()

    assert "<img" not in page and "<iframe" not in page and '<a href="http' not in page
    links = re.findall(r'(?:href|src|action)="([^"]*)"', page)
    assert links  # the form actions, the script, the hotline's address
    for notice in notices:
        host = notice.report.host
        assert [link for link in links if host in link] == []
    # The hotline's address, and its favicon (a static file of this site, not a link to follow).
    assert set(re.findall(r'href="([^"]*)"', page)) == {
        "mailto:reports@hotline.example.org",
        "/static/hotline/favicon.svg",
    }


def test_the_page_is_private_to_its_url(sent):
    path, _ = sent
    response = Client().get(path)

    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"].startswith("noindex")
    assert '<meta name="referrer" content="same-origin">' in response.content.decode()


def test_the_page_speaks_the_provider_s_language(actor, clock):
    provider = ProviderFactory(name="Beispiel Hosting GmbH", language="de")
    notices_mail(ActionableReportFactory(provider=provider), actor=actor)

    response = Client(headers={"accept-language": "fr"}).get(link_for(provider.abuse_email))

    assert response.status_code == 200
    assert response["Content-Language"] == "de"
    assert '<html lang="de">' in response.content.decode()


def test_the_deadline_shown_is_the_one_the_notice_gave_not_the_one_a_hold_moved(
    provider, actor, clock
):
    [notice] = notices_mail(ActionableReportFactory(provider=provider), actor=actor)
    supervisor = Actor.for_user(StaffUserFactory(username="sue", role="supervisor"))
    workflow.report_hold(
        notice.report_id,
        actor=supervisor,
        agency_id=AgencyFactory().pk,
        until=T0 + timedelta(hours=6),
    )
    clock.shift(timedelta(hours=2))
    workflow.report_hold_release(notice.report_id, actor=supervisor)
    notice.refresh_from_db()
    assert notice.deadline_at == T0 + timedelta(hours=26)  # the hotline's own clock moved

    page = Client().get(link_for(provider.abuse_email)).content.decode()

    assert DEADLINE in page
    assert "2026-03-03 11:00" not in page


def test_closed_notices_show_their_state_without_buttons(sent, actor):
    path, (first, second) = sent
    workflow.report_withdraw_notice(second.report_id, actor=actor, reason="Wrong provider.")

    page = Client().get(path).content.decode()

    assert "withdrawn by the hotline" in page
    assert second.report.reference in page
    assert f'name="notice" value="{second.pk}"' not in page
    assert f'value="{escape(second.report.canonical_url)}"' not in page
    assert f'name="notice" value="{first.pk}"' in page


# --- answers --------------------------------------------------------------------------------


def test_removed_closes_the_report_with_an_event_naming_the_answer_page(sent, provider):
    path, (notice, other) = sent

    page = answer(path, form("removed", notice))

    notice.refresh_from_db()
    assert notice.status == Notice.Status.REMOVED
    assert notice.removed_at == T0 and notice.removal_confirmed_at == T0
    assert Report.objects.get(pk=notice.report_id).status == ReportStatus.REMOVED
    event = Event.objects.filter(report_id=notice.report_id).latest("id")
    assert event.verb == "confirm_removal"
    assert event.actor_label == "answer page (Example Images BV)"
    assert event.data["source"] == "provider"
    assert shown_messages(page) == [
        f"Recorded: {notice.report.reference} removed at 2026-03-02 09:00 (UTC). Thank you."
    ]
    other.refresh_from_db()
    assert other.status == Notice.Status.OPEN  # one button, one notice
    assert "removed: closed, nothing more to do" in page.content.decode()


def test_removed_takes_the_removal_time_given(sent, clock):
    path, (notice, _) = sent
    clock.shift(timedelta(hours=3))

    answer(path, form("removed", notice, removed_at="2026-03-02T10:15"))

    notice.refresh_from_db()
    assert notice.removed_at == T0 + timedelta(hours=1, minutes=15)


@pytest.mark.parametrize(
    ("removed_at", "why"),
    [
        ("2026-03-02T12:00", "The removal time is in the future."),
        ("2026-03-02T08:00", "The removal time is before the notice reached you"),
        ("yesterday", "Enter a valid date/time."),
    ],
)
def test_a_removal_time_out_of_range_is_refused_and_nothing_recorded(sent, clock, removed_at, why):
    path, (notice, _) = sent
    clock.shift(timedelta(hours=1))
    events = Event.objects.count()

    page = answer(path, form("removed", notice, removed_at=removed_at))

    [message] = shown_messages(page)
    assert message.startswith(f"{notice.report.reference}: nothing was recorded.")
    assert why in message
    assert Event.objects.count() == events
    notice.refresh_from_db()
    assert notice.status == Notice.Status.OPEN


def test_where_checks_verify_removals_removed_is_recorded_as_a_claim(sent, settings):
    settings.HOTLINE_PROBES_ENABLED = True
    path, (notice, _) = sent

    page = answer(path, form("removed", notice))

    notice.refresh_from_db()
    assert notice.status == Notice.Status.OPEN
    assert notice.removal_confirmed_at == T0
    event = Event.objects.filter(report_id=notice.report_id).latest("id")
    assert (event.verb, event.actor_label) == ("claim_removal", "answer page (Example Images BV)")
    [message] = shown_messages(page)
    assert "Our checks will confirm it" in message
    assert "the notice stays open until our checks find the content gone" in (page.content.decode())


def test_acknowledge_is_recorded_and_its_button_goes(sent):
    path, (notice, _) = sent

    page = answer(path, form("acknowledge", notice))

    notice.refresh_from_db()
    assert notice.acknowledged_at == T0
    event = Event.objects.filter(report_id=notice.report_id).latest("id")
    assert (event.verb, event.actor_label) == (
        "acknowledge_notice",
        "answer page (Example Images BV)",
    )
    assert shown_messages(page) == [f"Recorded: you acknowledged {notice.report.reference}."]
    content = page.content.decode()
    assert "You acknowledged it at 2026-03-02 09:00 (UTC)." in content
    assert content.count(">Acknowledge</button>") == 1  # the other notice's


def test_dispute_with_a_reason_is_recorded(sent):
    path, (notice, _) = sent

    page = answer(path, form("dispute", notice, reason="This is our customer's own photo."))

    notice.refresh_from_db()
    assert notice.disputed_at == T0
    assert notice.dispute_reason == "This is our customer's own photo."
    event = Event.objects.filter(report_id=notice.report_id).latest("id")
    assert (event.verb, event.actor_label) == ("dispute_notice", "answer page (Example Images BV)")
    assert shown_messages(page) == [
        f"Recorded: your dispute of {notice.report.reference}. "
        "The hotline will review it and answer you."
    ]


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_dispute_without_a_reason_is_refused_with_a_message(sent, reason):
    path, (notice, _) = sent
    events = Event.objects.count()

    page = answer(path, form("dispute", notice, reason=reason))

    assert shown_messages(page) == [
        f"{notice.report.reference}: nothing was recorded. Give the reason for the dispute."
    ]
    assert Event.objects.count() == events
    notice.refresh_from_db()
    assert notice.disputed_at is None


def test_an_answer_to_a_notice_closed_meanwhile_says_so(sent, actor):
    path, (notice, _) = sent
    client = csrf_client()
    client.get(path)  # the page as it was, then the analysts withdraw the notice
    workflow.report_withdraw_notice(notice.report_id, actor=actor, reason="Wrong provider.")
    events = Event.objects.count()

    redirect = post_answer(client, path, form("acknowledge", notice))

    assert redirect.status_code == 302
    assert shown_messages(client.get(path)) == [
        f"{notice.report.reference} is withdrawn: it can no longer be answered. "
        "Nothing was recorded."
    ]
    assert Event.objects.count() == events


# --- CSRF -----------------------------------------------------------------------------------


def test_an_answer_without_the_csrf_token_is_refused(sent):
    path, (notice, _) = sent
    client = csrf_client()
    client.get(path)
    events = Event.objects.count()

    refused = post_form(client, path, form("removed", notice))

    assert refused.status_code == 403
    assert refused["Referrer-Policy"] == "same-origin"
    assert Event.objects.count() == events
    notice.refresh_from_db()
    assert notice.status == Notice.Status.OPEN


def test_an_answer_over_https_with_this_site_s_referer_is_accepted(sent):
    """Over HTTPS Django's CSRF check wants this site's Referer: the page's same-origin policy
    gives it to the page's own posts (and to no other site)."""
    path, (notice, _) = sent

    accepted = post_answer(
        csrf_client(),
        path,
        form("acknowledge", notice),
        headers={"referer": f"https://testserver{path}"},
        secure=True,
    )

    assert accepted.status_code == 302
    notice.refresh_from_db()
    assert notice.acknowledged_at == T0


def test_an_answer_from_another_site_is_refused_even_with_a_token(sent):
    path, (notice, _) = sent

    refused = post_answer(
        csrf_client(), path, form("acknowledge", notice), headers={"origin": "https://evil.example"}
    )

    assert refused.status_code == 403
    notice.refresh_from_db()
    assert notice.acknowledged_at is None


# --- what a link cannot reach ---------------------------------------------------------------


def test_a_link_cannot_answer_another_provider_s_or_another_message_s_notice(sent, provider, actor):
    path, (own, _) = sent
    [foreign] = notices_mail(ActionableReportFactory(), actor=actor)
    [later] = notices_mail(ActionableReportFactory(provider=provider), actor=actor)
    assert link_for(provider.abuse_email) != path  # the later notice went in a message of its own
    events = Event.objects.count()
    client = csrf_client()

    answers = {
        name: post_answer(client, path, form("removed", notice))
        for name, notice in (("foreign", foreign), ("later", later))
    }
    missing = post_answer(client, path, {"notice": "999999", "answer": "removed"})
    not_a_number = post_answer(client, path, {"notice": "٣", "answer": "removed"})

    for response in (*answers.values(), not_a_number):
        assert response.status_code == 404
        assert without_csrf_tokens(response.content) == without_csrf_tokens(missing.content)
    assert missing.status_code == 404
    assert "There is no such notice on this page. Nothing was recorded." in (
        missing.content.decode()
    )
    assert foreign.report.reference not in missing.content.decode()
    assert Event.objects.count() == events
    assert Notice.objects.filter(status=Notice.Status.REMOVED).count() == 0
    assert own.report.reference in missing.content.decode()


def test_an_expired_link_and_an_unknown_token_get_the_same_404_page(sent, clock):
    path, _ = sent
    unknown = "/notice/" + "0" * 64 + "/"
    malformed = "/notice/not-a-token/"
    before = Client().get(unknown)

    clock.move_to(T0 + timedelta(days=30))  # the message formed at T0: the link has expired
    expired = Client().get(path)

    for response in (before, expired, Client().get(unknown), Client().get(malformed)):
        assert response.status_code == 404
        assert response.content == before.content
        assert response["Referrer-Policy"] == "same-origin"
        assert "no-store" in response["Cache-Control"]
    page = before.content.decode()
    assert "This link is no longer valid" in page
    assert "reports@hotline.example.org" in page


def test_an_expired_link_answers_nothing(sent, clock):
    path, (notice, _) = sent
    client = csrf_client()
    token = page_token(client, path)
    clock.move_to(T0 + timedelta(days=30, seconds=1))

    response = post_form(client, path, {"csrfmiddlewaretoken": token, **form("removed", notice)})

    assert response.status_code == 404
    notice.refresh_from_db()
    assert notice.status == Notice.Status.OPEN


def test_the_link_is_valid_until_it_expires(sent, clock):
    path, _ = sent
    clock.move_to(T0 + timedelta(days=30) - timedelta(seconds=1))

    assert Client().get(path).status_code == 200


# --- throttling -----------------------------------------------------------------------------


@pytest.fixture
def three_a_minute(monkeypatch):
    # THROTTLE_RATES is DRF's one dict of rates, shared by every throttle class.
    for scope in ("answer_page", "answer_link"):
        monkeypatch.setitem(AnswerLinkThrottle.THROTTLE_RATES, scope, "3/min")


def test_one_link_is_throttled_across_client_addresses(sent, three_a_minute):
    path, _ = sent
    codes = [Client(REMOTE_ADDR=f"198.51.100.{n}").get(path).status_code for n in range(1, 5)]

    assert codes == [200, 200, 200, 429]


def test_one_client_is_throttled_across_tokens_and_posts_count(sent, three_a_minute):
    path, (notice, _) = sent
    client = csrf_client()
    token = page_token(client, path)  # 1
    assert client.get("/notice/" + "1" * 64 + "/").status_code == 404  # 2
    assert client.get("/notice/" + "2" * 64 + "/").status_code == 404  # 3
    events = Event.objects.count()

    refused = post_form(client, path, {"csrfmiddlewaretoken": token, **form("removed", notice)})

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Too many requests" in refused.content.decode()
    assert "no-store" in refused["Cache-Control"]
    assert Event.objects.count() == events
    notice.refresh_from_db()
    assert notice.status == Notice.Status.OPEN
    elsewhere = Client(REMOTE_ADDR="203.0.113.9")
    assert elsewhere.get(path).status_code == 200  # another client: the link's 2nd request


def test_the_page_s_queries_do_not_grow_with_its_notices(provider, actor, clock):
    def queries(count: int) -> int:
        reports = [ActionableReportFactory(provider=provider) for _ in range(count)]
        notices_mail(*reports, actor=actor)
        path = link_for(provider.abuse_email)
        with CaptureQueriesContext(connection) as captured:
            assert Client().get(path).status_code == 200
        return len(captured)

    assert queries(1) == queries(5)


def test_the_log_never_carries_a_token(sent, monkeypatch):
    """Django logs every 4xx with its path; the service's log handler leaves the token out."""
    [console] = [
        handler
        for handler in logging.getLogger().handlers
        if any(isinstance(f, AnswerTokenRedaction) for f in handler.filters)
    ]
    monkeypatch.setattr(console, "stream", io.StringIO())
    path, _ = sent
    client = csrf_client()
    token = page_token(client, path)

    post_form(client, path, {"csrfmiddlewaretoken": token, "notice": "999999", "answer": "removed"})
    Client().get("/notice/" + "0" * 64 + "/")

    logged = console.stream.getvalue()
    assert logged.count("Not Found: /notice/<token>/") == 2
    assert path.split("/")[2] not in logged and "0" * 64 not in logged
