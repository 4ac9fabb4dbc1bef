"""The admin says whose hotline it is (HOTLINE_ORG_NAME) and every page has the favicon."""

from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db

FAVICON = '<link rel="icon" href="/static/hotline/favicon.svg" type="image/svg+xml">'


def test_the_admin_header_and_title_name_the_hotline(admin_client, settings):
    settings.HOTLINE_ORG_NAME = "Meldpunt Kinderporno"

    page = admin_client.get("/admin/").content.decode()

    assert '<a href="/admin/">Meldpunt Kinderporno</a>' in page
    assert "| Meldpunt Kinderporno</title>" in page
    assert "Django administration" not in page and "Django site admin" not in page
    assert FAVICON in page


def test_the_sign_in_page_names_the_hotline_too(client, settings):
    settings.HOTLINE_ORG_NAME = "Meldpunt Kinderporno"
    page = client.get("/admin/login/").content.decode()
    assert "Log in | Meldpunt Kinderporno</title>" in page
    assert FAVICON in page


@pytest.mark.parametrize(
    "path", ["/report/", "/report/status/", "/report/received/", "/notice/not-a-token/"]
)
def test_the_public_pages_have_the_favicon(client, path):
    assert FAVICON in client.get(path).content.decode()


def test_the_favicon_is_a_small_svg_shipped_as_a_static_file():
    path = finders.find("hotline/favicon.svg")
    text = Path(path).read_text(encoding="utf-8")
    assert text.startswith("<svg") and len(text) < 1024
    assert "<script" not in text
