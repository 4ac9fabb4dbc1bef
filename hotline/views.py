import os

from celery import current_app
from django.conf import settings
from django.db import connection
from django.http import HttpResponseBadRequest, JsonResponse
from django.utils.module_loading import import_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django.views.i18n import set_language


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


def _health_detail(function_path: str) -> dict:
    try:
        return import_string(function_path)()
    except Exception as exc:  # e.g. before `migrate`: the detail is unknown, not the service down
        return {"status": "unknown", "detail": f"{type(exc).__name__}: not readable yet."}


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
    if not down:  # details read the database; warnings in them do not fail the check
        for name, detail in settings.HOTLINE_HEALTH_DETAILS.items():
            body[name] = _health_detail(detail)
    return JsonResponse(body, status=503 if down else 200)


@require_POST
def public_language_set(request):
    """The public pages' language switch: Django's ``set_language`` (a cookie, then a redirect
    back to ``next`` or the referring page when it is on this site), offering only the public
    languages. Another language is refused, so no page is ever marked with a half-translated
    one."""
    if request.POST.get("language") not in settings.HOTLINE_PUBLIC_LANGUAGES:
        return HttpResponseBadRequest(
            "Choose one of: " + ", ".join(settings.HOTLINE_PUBLIC_LANGUAGES) + ".",
            content_type="text/plain; charset=utf-8",
        )
    return set_language(request)
