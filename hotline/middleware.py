"""Refuse request bodies that could carry material before anything parses them."""

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.times import hotline_zone

PARTNER_INTAKE_PATH = "/api/v1/partner/"
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
        cap = (
            settings.HOTLINE_PARTNER_MAX_BODY_BYTES
            if request.path.startswith(PARTNER_INTAKE_PATH)
            else settings.HOTLINE_MAX_BODY_BYTES
        )
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
