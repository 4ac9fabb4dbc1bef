"""The bulk actions and "Paste URLs", used through the test client by people in the real role
groups. A bulk action is posted as the report list's action bar posts it; one that needs input
answers with its form page, which posts back with ``bulk_apply`` and the form's fields."""

from urllib.parse import urlencode

from django.contrib.messages import get_messages
from django.test import Client

from hotline.actors import Actor
from reports.intake import report_submit, submission_clean
from reports.models import Channel, Report

LIST = "/admin/reports/report/"
PASTE = "/admin/reports/report/paste-urls/"
FORM = "application/x-www-form-urlencoded"  # the service refuses multipart bodies
ILLEGAL_FIELDS = {
    "legal_status": "baseline",
    "industry_category": "A1",
    "content_type": "image",
    "site_type": "image_host",
    "commerciality": "non_commercial",
}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def new_reports(count: int, host: str = "images.example.com") -> list[Report]:
    return [
        report_submit(
            submission=submission_clean(url=f"https://{host}/album/{n}"),
            channel=Channel.WEB,
            actor=Actor.public(),
        ).report
        for n in range(count)
    ]


def form_post(client, url: str, data: dict):
    return client.post(url, urlencode(data, doseq=True), content_type=FORM)


def action_choose(client, action: str, reports, query: str = "", **extra):
    """The action bar: the action chosen for the ticked rows."""
    data = {"action": action, "_selected_action": [r.pk for r in reports], "index": "0"}
    return form_post(client, LIST + query, {**data, **extra})


def action_apply(client, action: str, reports, query: str = "", **fields):
    """The action's form page posted, with its fields."""
    data = {f"bulk-{name}": value for name, value in fields.items()}
    return form_post(
        client,
        LIST + query,
        {"action": action, "_selected_action": [r.pk for r in reports], "bulk_apply": "1", **data},
    )


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def statuses(reports) -> list[str]:
    by_pk = dict(Report.objects.filter(pk__in=[r.pk for r in reports]).values_list("pk", "status"))
    return [by_pk[r.pk] for r in reports]
