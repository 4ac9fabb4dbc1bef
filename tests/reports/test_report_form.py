"""The public HTML form at /report/."""

import re
from urllib.parse import urlencode

import pytest
from django.test import Client

from reports.models import Event, Report

pytestmark = pytest.mark.django_db


def post_form(client, data):
    # What a browser sends for a form without enctype (the test client defaults to multipart).
    return client.post(
        "/report/", urlencode(data), content_type="application/x-www-form-urlencoded"
    )


def test_form_page_is_plain_html_with_labels_and_csrf(client):
    page = client.get("/report/").content.decode()
    assert 'name="csrfmiddlewaretoken"' in page
    assert 'enctype="multipart' not in page
    assert "<script" not in page  # works without JavaScript
    for field in ("url", "category", "description", "reporter_email"):
        assert f'<label for="id_{field}">' in page


def test_submitting_shows_reference_and_secret_once(client):
    response = post_form(
        client, {"url": "https://images.example.com/x", "description": "on the second row"}
    )
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).content.decode()
    report = Report.objects.get()
    assert report.reference in page
    assert report.channel == "web"
    secret = re.search(r'<p class="secret">([\w-]+)</p>', page).group(1)
    status = client.get(
        f"/api/v1/reports/{report.reference}/status/", headers={"x-tracking-secret": secret}
    )
    assert status.json()["status"] == "received"


def test_errors_are_shown_beside_the_field_and_nothing_is_stored(client):
    response = post_form(client, {"url": "javascript:alert(1)", "reporter_email": "nope"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "javascript:" in page  # the refusal names the scheme
    assert 'aria-invalid="true"' in page
    assert "valid e-mail" in page.lower() or "valid email" in page.lower()
    assert not Report.objects.exists() and not Event.objects.exists()


def test_form_refuses_posts_without_csrf_token():
    response = post_form(Client(enforce_csrf_checks=True), {"url": "https://example.com/"})
    assert response.status_code == 403
    assert not Report.objects.exists()


def test_form_shares_the_public_throttle(client, monkeypatch):
    from hotline.throttling import PublicIntakeThrottle

    monkeypatch.setitem(PublicIntakeThrottle.THROTTLE_RATES, "public_intake", "2/min")
    # The API and the form draw on the same budget per client.
    api = client.post(
        "/api/v1/reports/", {"url": "https://example.com/0"}, content_type="application/json"
    )
    assert api.status_code == 201
    assert post_form(client, {"url": "https://example.com/1"}).status_code == 303
    response = post_form(client, {"url": "https://example.com/late"})
    assert response.status_code == 429
    assert "try again" in response.content.decode().lower()
    assert Report.objects.count() == 2
