"""The baseline for the provider list: a bare Django view running one raw SQL query.

``GET /bench/provider-notices/<provider_id>/?page_size=N[&before=<sent_at>,<id>]`` answers the
same page as ``GET /api/v1/provider/notices/`` (the same rows, columns and order, newest first,
the same JSON fields and a link to the next page) with the least a handler must do: one SELECT
with keyset pagination through Django's connection, and ``JsonResponse``. No API key, throttle,
DRF, filter backend or serializer. Served by the same gunicorn processes as the endpoint (see
``provider_settings``), so both pass through the same middleware and database settings.
"""

from datetime import datetime
from urllib.parse import quote

from django.db import connection
from django.http import JsonResponse
from django.urls import path
from django.utils import timezone

from bench.support.urls import urlpatterns as bench_urlpatterns

VISIBLE = ("open", "overdue", "removed", "withdrawn")
COLUMNS = (
    "id",
    "reference",
    "url",
    "kind",
    "status",
    "sent_at",
    "handed_off_at",
    "deadline_at",
    "acknowledged_at",
    "removed_at",
    "disputed_at",
    "repeats_sent",
)
PAGE = """
    SELECT n.id, r.reference, r.canonical_url, n.kind, n.status, n.sent_at, n.handed_off_at,
           n.deadline_at, n.acknowledged_at, n.removed_at, n.disputed_at, n.repeats_sent
    FROM reports_notice AS n JOIN reports_report AS r ON r.id = n.report_id
    WHERE n.provider_id = %s AND n.status = ANY(%s) {keyset}
    ORDER BY n.sent_at DESC, n.id DESC
    LIMIT %s
"""
KEYSET = "AND (n.sent_at, n.id) < (%s, %s)"


def _iso(value):
    return value.isoformat() if isinstance(value, datetime) else value


def provider_notices(request, provider_id: int):
    page_size = min(int(request.GET.get("page_size", 50)), 200)
    params: list = [provider_id, list(VISIBLE)]
    keyset = ""
    if "before" in request.GET:
        sent_at, _, notice_id = request.GET["before"].rpartition(",")
        keyset = KEYSET
        params += [datetime.fromisoformat(sent_at), int(notice_id)]
    with connection.cursor() as cursor:
        cursor.execute(PAGE.format(keyset=keyset), [*params, page_size + 1])
        rows = cursor.fetchall()
    now = timezone.now()
    results = []
    for row in rows[:page_size]:
        item = {name: _iso(value) for name, value in zip(COLUMNS, row, strict=True)}
        running = item["status"] in ("open", "overdue")
        item["seconds_left"] = int((row[7] - now).total_seconds()) if running else None
        results.append(item)
    following = None
    if len(rows) > page_size:
        last = rows[page_size - 1]
        before = quote(f"{last[5].isoformat()},{last[0]}")
        following = f"{request.path}?page_size={page_size}&before={before}"
    return JsonResponse({"next": following, "previous": None, "results": results})


urlpatterns = [
    path("bench/provider-notices/<int:provider_id>/", provider_notices),
    *bench_urlpatterns,
]
