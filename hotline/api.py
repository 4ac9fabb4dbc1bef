"""API plumbing shared by every endpoint: key authentication and error bodies.

Errors always answer JSON ``{"detail": "...", "fields": {...}}``: ``detail`` is a sentence a
person can act on; ``fields`` (validation errors only) names each field with its problems.
"""

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers, permissions
from rest_framework.authentication import BaseAuthentication
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework_api_key.permissions import KeyParser

from hotline.errors import DomainError
from hotline.models import AuditAPIKey, PartnerAPIKey, ProviderAPIKey

# A partner batch is three levels deep ({"reports": [{...}]}); nothing the API takes is deeper.
MAX_JSON_DEPTH = 20


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing bodies nested deeper than ``MAX_JSON_DEPTH`` with a 400.

    Deep nesting would otherwise end in a RecursionError (a 500) in the parser or in any
    recursive walk of the data after it.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            data = None
        else:
            if not _nested_deeper_than(data, MAX_JSON_DEPTH):
                return data
        raise exceptions.ParseError(
            _(
                "The JSON is nested more than %(depth)d levels deep. Send a flat object such "
                'as {"url": "https://example.com/page", "description": "..."}.'
            )
            % {"depth": MAX_JSON_DEPTH}
        )


def _nested_deeper_than(data, limit: int) -> bool:
    # Iterative, so that checking the depth cannot itself run out of stack.
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            value = value.values()
        elif not isinstance(value, list):
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in value)
    return False


class APIKeyAuthentication(BaseAuthentication):
    """``Authorization: Api-Key <key>`` against one key model; ``request.auth`` is the key row."""

    model = None
    key_parser = KeyParser()

    def authenticate(self, request):
        key = self.key_parser.get(request)
        if key is None:
            return None
        try:
            api_key = self.model.objects.get_from_key(key)
        except self.model.DoesNotExist:
            raise exceptions.AuthenticationFailed(
                _("This API key is unknown or has been revoked. Ask the hotline for a new key.")
            ) from None
        if api_key.has_expired:
            raise exceptions.AuthenticationFailed(
                _("This API key expired on %(date)s. Ask the hotline for a new key.")
                % {"date": api_key.expiry_date.isoformat()}
            )
        return AnonymousUser(), api_key

    def authenticate_header(self, request):
        return KeyParser.keyword


class PartnerKeyAuthentication(APIKeyAuthentication):
    model = PartnerAPIKey


class HasPartnerKey(permissions.BasePermission):
    message = _("This endpoint is for partner hotlines and needs a partner API key.")

    def has_permission(self, request, view):
        return isinstance(request.auth, PartnerAPIKey) and request.auth.partner.active


MEDIA_TYPE_NAMES = {
    "application/json": "JSON (application/json)",
    "application/x-www-form-urlencoded": "form fields (application/x-www-form-urlencoded)",
}


class DomainConflict(exceptions.APIException):
    default_code = "conflict"

    def __init__(self, error: DomainError):
        self.status_code = error.status_code
        super().__init__(error.message)


class ProviderKeyAuthentication(APIKeyAuthentication):
    model = ProviderAPIKey


class HasProviderKey(permissions.BasePermission):
    message = _(
        "This endpoint is for hosting providers: it needs the API key of a provider the "
        "hotline lists as active. Ask the hotline if your key should work."
    )

    def has_permission(self, request, view):
        return isinstance(request.auth, ProviderAPIKey) and request.auth.provider.active


class AuditKeyAuthentication(APIKeyAuthentication):
    model = AuditAPIKey


class AuditKeyOrStaffWith(permissions.BasePermission):
    """An audit API key, or staff signed in to the admin who hold ``staff_permission``."""

    staff_permission = ""

    def has_permission(self, request, view):
        if isinstance(request.auth, AuditAPIKey):
            return True
        user = request.user
        return bool(user and user.is_staff and user.has_perm(self.staff_permission))


class CanReadSLA(AuditKeyOrStaffWith):
    """Supervisors and auditors signed in to the admin, or an audit API key."""

    message = _("The SLA figures are for supervisors, auditors and audit API keys.")
    staff_permission = "reports.view_sla"


class CanReadAuditCheckpoints(AuditKeyOrStaffWith):
    """Auditors signed in to the admin, or an audit API key."""

    message = _("The audit checkpoints are for auditors and audit API keys.")
    staff_permission = "reports.view_auditcheckpoint"


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        exc = DomainConflict(exc)
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, exceptions.NotAuthenticated):
        # Changed in place: the view already set its WWW-Authenticate header on this exception.
        exc.detail = exceptions.ErrorDetail(
            _("This endpoint needs an API key, sent as the header 'Authorization: Api-Key <key>'."),
            code=exc.default_code,
        )
    elif isinstance(exc, exceptions.UnsupportedMediaType):
        accepted = " or ".join(
            MEDIA_TYPE_NAMES.get(parser.media_type, parser.media_type)
            for parser in context["view"].parser_classes
        )
        exc = exceptions.UnsupportedMediaType(
            exc.detail,
            _("Send %(types)s. Files are never accepted.") % {"types": accepted},
        )
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.ValidationError):
        fields = (
            response.data
            if isinstance(response.data, dict)
            else {"non_field_errors": response.data}
        )
        response.data = {
            "detail": _("The request was not accepted: see the problems listed per field."),
            "fields": fields,
        }
    return response
