"""The public form's answer page: post, redirect, get. A reload files nothing again, the
tracking secret is shown once and is never in a URL."""

import re
from datetime import timedelta
from urllib.parse import urlencode

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.utils import timezone

from reports import tasks
from reports.models import Report

pytestmark = pytest.mark.django_db

DUTCH = {"accept-language": "nl-NL,nl;q=0.9"}


def post_form(client, data, **kwargs):
    return client.post(
        "/report/", urlencode(data), content_type="application/x-www-form-urlencoded", **kwargs
    )


def test_a_report_redirects_to_its_answer_page_and_a_reload_files_nothing(client):
    response = post_form(client, {"url": "https://images.example.com/x"})

    assert response.status_code == 303
    location = response.headers["Location"]
    assert location == "/report/received/"
    report = Report.objects.get()
    page = client.get(location)
    assert page.status_code == 200
    assert "no-store" in page.headers["Cache-Control"]
    text = page.content.decode()
    assert report.reference in text
    secret = re.search(r'<p class="secret">([\w-]+)</p>', text).group(1)
    assert secret not in location
    status = client.get(
        f"/api/v1/reports/{report.reference}/status/", headers={"x-tracking-secret": secret}
    )
    assert status.status_code == 200

    again = client.get(location)  # the reload

    assert Report.objects.count() == 1
    assert again.status_code == 200
    assert secret not in again.content.decode()
    assert report.reference not in again.content.decode()
    assert "shown once" in again.content.decode()


def test_the_secret_is_kept_for_that_one_answer_only(client):
    post_form(client, {"url": "https://images.example.com/x"})
    client.get("/report/received/")

    assert "report_received" not in client.session


def test_the_dutch_answer_page_follows_the_redirect_in_dutch(client):
    response = post_form(client, {"url": "https://images.example.com/x"}, headers=DUTCH)
    assert response.status_code == 303
    report = Report.objects.get()

    page = client.get(response.headers["Location"], headers=DUTCH).content.decode()
    assert "<h1>Dank u wel: uw melding is ontvangen</h1>" in page
    assert report.reference in page
    again = client.get("/report/received/", headers=DUTCH).content.decode()
    assert report.reference not in again
    assert 'lang="nl"' in again and "één keer" in again
    assert Report.objects.count() == 1


def test_a_refused_report_is_not_redirected(client):
    response = post_form(client, {"url": "javascript:alert(1)"})
    assert response.status_code == 400
    assert "report_received" not in client.session


def test_a_secret_whose_answer_page_was_never_fetched_goes_with_its_expired_session(client):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        post_form(client, {"url": "https://images.example.com/x"})  # the redirect not followed
        assert Session.objects.count() == 1
        clock.shift(timedelta(hours=9))  # past the session's life (one working day)

        tasks.personal_data_erase()  # hourly, with the retention of reporters' data

        assert not Session.objects.exists()
