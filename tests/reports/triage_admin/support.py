"""The analysts' triage admin, used through the test client by people in the real role groups.

Buttons post urlencoded forms (the service refuses multipart bodies) to
``/admin/reports/report/<id>/transition/<name>/`` with fields prefixed by the transition name.
"""

import re
from urllib.parse import urlencode

from django.contrib.messages import get_messages
from django.test import Client

from hotline.actors import Actor
from reports.intake import report_submit, submission_clean
from reports.models import Channel, Report, ReportStatus

S = ReportStatus
URL = "https://images.example.com/gallery/4411?p=2"
HOST = "images.example.com"
FORM = "application/x-www-form-urlencoded"
# The triage buttons of this issue; the notice buttons are tested with the notice service.
TRIAGE = {
    "claim",
    "release",
    "take_over",
    "assess_not_actionable",
    "assess_illegal",
    "mark_duplicate",
    "set_hosting",
    "forward",
    "escalate",
    "hold",
    "release_hold",
}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def submit(url=URL) -> Report:
    return report_submit(
        submission=submission_clean(url=url), channel=Channel.WEB, actor=Actor.public()
    ).report


def change_url(report) -> str:
    return f"/admin/reports/report/{report.pk}/change/"


def post(client, report, name, **fields):
    body = urlencode({f"{name}-{field}": value for field, value in fields.items()})
    return client.post(
        f"/admin/reports/report/{report.pk}/transition/{name}/", body, content_type=FORM
    )


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def buttons(text: str) -> set[str]:
    return set(re.findall(r'action="/admin/reports/report/\d+/transition/([a-z_]+)/"', text))


def set_status(report, status, **fields):
    Report.objects.filter(pk=report.pk).update(status=status, **fields)
    report.refresh_from_db()


def elements_pointing_at(text: str, host: str) -> list[str]:
    """Every attribute that would make a browser fetch or link to the host."""
    return re.findall(rf'(?:href|src|action|data|poster)\s*=\s*"[^"]*{re.escape(host)}', text)
