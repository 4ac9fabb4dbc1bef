"""Refuse request bodies that could carry material before anything parses them."""

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.times import hotline_zone

# Paths whose bodies have a cap of their own, and the setting that holds it; everything else
# has HOTLINE_MAX_BODY_BYTES.
BODY_CAPS = (
    ("/api/v1/partner/", "HOTLINE_PARTNER_MAX_BODY_BYTES"),
    # The analysts' "Paste URLs" (reports/admin_bulk.py), behind the admin's sign-in.
    ("/admin/reports/report/paste-urls/", "HOTLINE_PASTE_MAX_BYTES"),
)


def body_cap(path: str) -> int:
    for prefix, setting in BODY_CAPS:
        if path.startswith(prefix):
            return getattr(settings, setting)
    return settings.HOTLINE_MAX_BODY_BYTES


ADMIN_PATH = "/admin/"


def _refusal(request, status: int, message: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=status)
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


class RefuseMaterialMiddleware:
    """415 for any multipart (file) body, 413 for a body over the configured cap."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        content_type = request.META.get("CONTENT_TYPE", "").lower()
        if content_type.startswith("multipart/"):
            return _refusal(
                request,
                415,
                _(
                    "File uploads are not accepted: the hotline takes web addresses and short "
                    "text only. Send the URL as form fields or JSON, and never attach the "
                    "material itself."
                ),
            )
        cap = body_cap(request.path)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _refusal(request, 400, _("The Content-Length header is not a number."))
        if length > cap:
            return _refusal(
                request,
                413,
                _(
                    "The request body is %(length)d bytes; the limit is %(cap)d bytes. "
                    "Reports carry a URL and a short description only."
                )
                % {"length": length, "cap": cap},
            )
        return self.get_response(request)


class AdminTimeZoneMiddleware:
    """Staff pages of the admin in the hotline's zone (HOTLINE_TIME_ZONE): what they show, and
    what a date field typed in means. Everything else (storage, e-mails, the API) stays UTC."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(ADMIN_PATH):
            return self.get_response(request)
        with timezone.override(hotline_zone()):
            return self.get_response(request)
