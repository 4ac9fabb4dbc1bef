import os

from celery import current_app
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        return False


def _broker_answers() -> bool:
    try:
        with current_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
            # The filesystem transport "connects" without touching its folder.
            if conn.transport_cls == "filesystem":
                folder = conn.transport_options["data_folder_out"]
                return os.access(folder, os.W_OK)
        return True
    except Exception:
        return False


@never_cache
@require_GET
def healthz_live(request):
    """The web process's liveness: it answers, and so does the database, which is all intake
    needs (a broker or cache outage must not make an orchestrator take the web down)."""
    if _database_answers():
        return JsonResponse({"database": "ok"})
    return JsonResponse({"database": "down", "detail": "Down: database."}, status=503)


@never_cache
@require_GET
def healthz(request):
    """200 when the database and the broker answer; 503 naming what is down."""
    checks = {"database": _database_answers(), "broker": _broker_answers()}
    down = [name for name, ok in checks.items() if not ok]
    body = {name: "ok" if ok else "down" for name, ok in checks.items()}
    if down:
        body["detail"] = f"Down: {', '.join(down)}."
    return JsonResponse(body, status=503 if down else 200)
