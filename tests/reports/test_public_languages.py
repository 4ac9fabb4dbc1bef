"""The public pages in English and Dutch: chosen by the browser or by the page's switch."""

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
import time_machine
from django.conf import settings
from django.test import Client

from reports.models import Report

pytestmark = pytest.mark.django_db

DUTCH = {"accept-language": "nl-NL,nl;q=0.9,en;q=0.5"}
FORM_ENCODED = "application/x-www-form-urlencoded"


def post(client, path, data, **kwargs):
    return client.post(path, urlencode(data), content_type=FORM_ENCODED, **kwargs)


def html_lang(page: str) -> str:
    return re.search(r'<html lang="([^"]+)">', page).group(1)


def test_report_form_is_dutch_for_a_dutch_browser(client):
    response = client.get("/report/", headers=DUTCH)
    page = response.content.decode()
    assert html_lang(page) == "nl"
    assert response.headers["Content-Language"] == "nl"
    assert "Accept-Language" in response.headers["Vary"]
    assert "<h1>Materiaal van seksueel kindermisbruik op internet melden</h1>" in page
    assert '<label for="id_url">Webadres (URL)</label>' in page
    assert "Hoogstens 2000 tekens." in page  # a help text filled in per request
    assert ">Ik weet het niet zeker</option>" in page
    assert "seksuele afpersing" in page  # the reporter's categories
    assert ">Melding versturen</button>" in page
    assert "Report child sexual abuse material online" not in page


def test_report_form_is_english_by_default(client):
    page = client.get("/report/").content.decode()
    assert html_lang(page) == "en"
    assert "<h1>Report child sexual abuse material online</h1>" in page
    assert ">Send report</button>" in page


def test_a_language_not_offered_publicly_gives_english_not_a_half_translated_page(client):
    # German is a notice language, not a public one: the next public language the browser
    # accepts is used, else English.
    page = client.get("/report/", headers={"accept-language": "de-DE,de"}).content.decode()
    assert html_lang(page) == "en"
    assert ">Send report</button>" in page
    page = client.get("/report/", headers={"accept-language": "de, nl;q=0.8"}).content.decode()
    assert html_lang(page) == "nl"


def test_the_switch_sets_the_language_and_returns_to_the_page(client):
    page = client.get("/report/").content.decode()
    # The switch is a plain form: a button per public language, posted with the CSRF token.
    switch = re.search(r'<form class="languages".*?</form>', page, re.S).group(0)
    assert 'action="/i18n/setlang/"' in switch and 'name="csrfmiddlewaretoken"' in switch
    assert re.findall(r'name="language" value="(\w+)"', switch) == settings.HOTLINE_PUBLIC_LANGUAGES
    assert "<script" not in page

    response = post(client, "/i18n/setlang/", {"language": "nl", "next": "/report/"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/report/"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "nl"
    # The choice outweighs the browser's.
    page = client.get("/report/", headers={"accept-language": "en"}).content.decode()
    assert html_lang(page) == "nl" and ">Melding versturen</button>" in page

    post(client, "/i18n/setlang/", {"language": "en", "next": "/report/"})
    page = client.get("/report/", headers=DUTCH).content.decode()
    assert html_lang(page) == "en"


def test_the_switch_works_with_csrf_checks_on():
    client = Client(enforce_csrf_checks=True)
    page = client.get("/report/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    refused = post(client, "/i18n/setlang/", {"language": "nl", "next": "/report/"})
    assert refused.status_code == 403
    response = post(
        client,
        "/i18n/setlang/",
        {"language": "nl", "next": "/report/", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "nl"


@pytest.mark.parametrize("language", ["de", "fr", "xx", ""])
def test_the_switch_refuses_a_language_the_public_pages_do_not_offer(client, language):
    response = post(client, "/i18n/setlang/", {"language": language, "next": "/report/"})
    assert response.status_code == 400
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    assert html_lang(client.get("/report/").content.decode()) == "en"


def test_a_cookie_naming_another_language_is_ignored(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    page = client.get("/report/", headers=DUTCH).content.decode()
    assert html_lang(page) == "nl"


@pytest.mark.parametrize("unsafe", ["https://elsewhere.example.net/", "//elsewhere.example.net/"])
def test_the_switch_only_returns_to_this_site(client, unsafe):
    response = post(client, "/i18n/setlang/", {"language": "nl", "next": unsafe})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_a_report_made_in_dutch_is_filed_and_confirmed_in_dutch(client):
    form = client.get("/report/", headers=DUTCH).content.decode()
    assert 'name="csrfmiddlewaretoken"' in form
    response = post(
        client,
        "/report/",
        {"url": "https://images.example.com/x", "category": "abuse_imagery"},
        headers=DUTCH,
    )
    assert response.status_code == 303
    page = client.get(response.headers["Location"], headers=DUTCH).content.decode()
    report = Report.objects.get()
    assert report.category == "abuse_imagery" and report.channel == "web"
    assert html_lang(page) == "nl"
    assert "<h1>Dank u wel: uw melding is ontvangen</h1>" in page
    assert f'Uw kenmerk: <strong class="secret">{report.reference}</strong>' in page
    assert "Uw geheime code (wordt maar één keer getoond, schrijf hem op):" in page
    assert '<a href="/report/status/">de statuspagina</a>' in page
    # No switch on this page: it would lose the secret, which is shown once.
    assert 'class="languages"' not in page


def test_refusals_are_shown_in_dutch(client):
    response = post(client, "/report/", {"url": "javascript:alert(1)"}, headers=DUTCH)
    assert response.status_code == 400
    page = response.content.decode()
    assert "De melding is niet verstuurd." in page
    assert (
        "URL&#x27;s met het schema &quot;javascript:&quot; worden geweigerd: alleen webadressen "
        "die beginnen met http:// of https:// kunnen worden gemeld."
    ) in page
    response = post(
        client, "/report/", {"url": "https://example.com/", "reporter_email": "nope"}, headers=DUTCH
    )
    assert "Voer een geldig e-mailadres in." in response.content.decode()  # Django's catalogue
    assert not Report.objects.exists()

    response = post(client, "/report/", {"url": "http://127.0.0.1/x"}, headers=DUTCH)
    page = response.content.decode()
    assert "Het adres 127.0.0.1 is een loopbackadres" in page
    assert "alleen adressen op het openbare internet kunnen worden gemeld" in page

    response = post(client, "/report/", {"url": ""}, headers=DUTCH)
    # Django's own message, as Django REST framework's catalogue (which takes precedence) words it.
    assert "Dit veld is vereist." in response.content.decode()


def test_the_throttle_answers_in_dutch(client, monkeypatch):
    from hotline.throttling import PublicIntakeThrottle

    monkeypatch.setitem(PublicIntakeThrottle.THROTTLE_RATES, "public_intake", "1/min")
    post(client, "/report/", {"url": "https://example.com/1"}, headers=DUTCH)
    response = post(client, "/report/", {"url": "https://example.com/2"}, headers=DUTCH)
    assert response.status_code == 429
    assert "Probeer het over een minuut opnieuw." in response.content.decode()


# --- The reporter's status page ----------------------------------------------------------------

T0 = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)


def report_made(client) -> tuple[str, str]:
    answer = post(client, "/report/", {"url": "https://images.example.com/y"})
    page = client.get(answer.headers["Location"]).content.decode()
    reference = re.search(r'<strong class="secret">([\w-]+)</strong>', page).group(1)
    secret = re.search(r'<p class="secret">([\w-]+)</p>', page).group(1)
    return reference, secret


def test_status_page_shows_the_coarse_status_in_dutch(client):
    with time_machine.travel(T0, tick=False) as clock:
        reference, secret = report_made(client)
        form = client.get("/report/status/", headers=DUTCH).content.decode()
        assert html_lang(form) == "nl"
        assert "<h1>De status van uw melding</h1>" in form
        assert '<label for="id_reference">Kenmerk</label>' in form
        assert '<label for="id_tracking_secret">Geheime code</label>' in form

        answer = {"reference": reference, "tracking_secret": secret}
        page = post(client, "/report/status/", answer, headers=DUTCH).content.decode()
        assert "Ontvangen op 2 maart 2026. Wij bekijken uw melding binnenkort." in page
        assert reference in page and secret not in page

        clock.shift(timedelta(days=2))
        page = post(client, "/report/status/", answer, headers=DUTCH).content.decode()
        assert "In behandeling sinds 3 maart 2026." in page
        page = post(client, "/report/status/", answer).content.decode()
        assert "Being worked on since 3 March 2026." in page


def test_status_page_with_a_wrong_secret_says_so_and_shows_nothing(client):
    reference, _secret = report_made(client)
    response = post(
        client,
        "/report/status/",
        {"reference": reference, "tracking_secret": "not-the-secret"},
        headers=DUTCH,
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Er is geen melding met dit kenmerk en deze geheime code." in page
    assert "Ontvangen op" not in page
    assert response.headers["Cache-Control"].startswith("max-age=0")


def test_status_page_shares_the_status_throttle(client, monkeypatch):
    from hotline.throttling import ReportStatusThrottle

    monkeypatch.setitem(ReportStatusThrottle.THROTTLE_RATES, "report_status", "1/min")
    wrong = {"reference": "HL-0000-0000", "tracking_secret": "x"}
    assert post(client, "/report/status/", wrong).status_code == 400
    response = post(client, "/report/status/", wrong, headers=DUTCH)
    assert response.status_code == 429
    assert "Er is zojuist te vaak gezocht vanaf uw verbinding." in response.content.decode()


def test_a_default_language_the_public_pages_do_not_offer_stops_the_service(settings):
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    settings.LANGUAGE_CODE = "de"
    with pytest.raises(SystemCheckError, match="LANGUAGE_CODE 'de' must be one of"):
        call_command("check")
