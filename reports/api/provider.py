"""The provider API: a provider's abuse desk sees and answers its own notices, and no others.

Every query starts from the key's provider (reports.selectors.provider_notices), so another
provider's notice is simply not found (404, exactly as for a notice that does not exist).
"""

import re
from datetime import UTC

from django import forms
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import exceptions, serializers
from rest_framework.decorators import action
from rest_framework.pagination import CursorPagination
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.viewsets import ReadOnlyModelViewSet

from hotline.actors import Actor
from hotline.api import HasProviderKey, ProviderKeyAuthentication
from hotline.schema import ERROR
from hotline.throttling import ProviderThrottle
from reports.models import ANSWERABLE_NOTICE_STATUSES, Notice
from reports.notices import xarf_document
from reports.selectors.provider_notices import (
    STATUS_GROUPS,
    notices_in_status_group,
    notices_sent_since,
    provider_notices,
)
from reports.workflow import (
    PROVIDER_VISIBLE,
    notice_acknowledge,
    notice_confirm_removed,
    notice_dispute,
)

AUTH_ERRORS = {401: ERROR, 403: ERROR, 429: ERROR}
NOTICE_ID = re.compile(r"[0-9]+")  # ids are spelt one way: no sign, spaces or other digits


class NoticeSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(source="report.reference")
    url = serializers.CharField(source="report.canonical_url", help_text="The exact URL.")
    status = serializers.ChoiceField(
        source="provider_status",
        choices=[(value, value) for value in PROVIDER_VISIBLE],
        help_text="open until the deadline, then overdue; removed or withdrawn once closed.",
    )
    deadline_at = serializers.DateTimeField(
        source="stated_deadline_at", help_text="The deadline the notice gave."
    )
    removal_claimed_at = serializers.DateTimeField(
        source="removal_confirmed_at",
        read_only=True,
        allow_null=True,
        help_text=(
            "When you said it was removed. Where the hotline checks URLs, the notice stays open "
            "until its checks find the content gone."
        ),
    )
    removal_contested_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="When a check still found the content online after your claim.",
    )
    removal_verified_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="When the hotline's checks confirmed the content gone.",
    )
    seconds_left = serializers.SerializerMethodField(
        help_text="Seconds to the deadline; negative when overdue; null once closed."
    )

    class Meta:
        model = Notice
        fields = [
            "id",
            "reference",
            "url",
            "kind",
            "status",
            "sent_at",
            "handed_off_at",
            "deadline_at",
            "seconds_left",
            "acknowledged_at",
            "removed_at",
            "removal_claimed_at",
            "removal_contested_at",
            "removal_verified_at",
            "disputed_at",
            "repeats_sent",
        ]

    def get_seconds_left(self, notice) -> int | None:
        if notice.status not in ANSWERABLE_NOTICE_STATUSES:
            return None
        return int((notice.stated_deadline_at - timezone.now()).total_seconds())


class XARFReporterSerializer(serializers.Serializer):
    org = serializers.CharField()
    contact = serializers.CharField()
    domain = serializers.CharField()


class XARFDocumentSerializer(serializers.Serializer):
    """The X-ARF v4 ``content/csam`` document (documentation only: the schema is X-ARF's)."""

    xarf_version = serializers.CharField()
    report_id = serializers.UUIDField()
    timestamp = serializers.DateTimeField()
    reporter = XARFReporterSerializer()
    sender = XARFReporterSerializer()
    source_identifier = serializers.CharField()
    category = serializers.CharField(help_text='Always "content".')
    type = serializers.CharField(help_text='Always "csam".')
    url = serializers.CharField()
    classification = serializers.CharField()
    content_removed = serializers.BooleanField()


NOTICE_OR_XARF = PolymorphicProxySerializer(
    component_name="NoticeOrXARF",
    serializers=[NoticeSerializer, XARFDocumentSerializer],
    resource_type_field_name=None,
)


class RemovedSerializer(serializers.Serializer):
    removed_at = serializers.DateTimeField(
        required=False,
        help_text="When the content was removed (default: now). Not before the notice reached "
        "you (handed_off_at), not in the future.",
    )


class DisputeSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="Why the notice is wrong.")


class NoticeFilterForm(forms.Form):
    def clean(self):
        # An empty filter would quietly list everything; a script that sent one has a bug.
        for name in ("status", "since"):
            if name in self.data and not self.data[name].strip():
                self.add_error(name, _("It is empty: leave it out, or give a value."))
        return super().clean()


class NoticeFilter(filters.FilterSet):
    status = filters.ChoiceFilter(
        choices=[(name, name) for name in STATUS_GROUPS], method="filter_status"
    )
    since = filters.IsoDateTimeFilter(
        method="filter_since", help_text="Only notices sent at or after this time."
    )

    class Meta:
        model = Notice
        fields = ["status", "since"]
        form = NoticeFilterForm

    def filter_status(self, queryset, name, value):
        return notices_in_status_group(queryset, value)

    def filter_since(self, queryset, name, value):
        try:
            return notices_sent_since(queryset, value)
        except OverflowError:
            raise exceptions.ValidationError(
                {"since": [_("It is outside the years 1 to 9999 once converted to UTC.")]}
            ) from None


class NewestFirst(CursorPagination):
    ordering = ("-sent_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    page_size_query_description = "Notices per page: up to 200 (default 50)."
    max_page_size = 200

    def get_page_size(self, request):
        # DRF ignores a page_size that is not a number; saying so helps the desk more.
        raw = request.query_params.get(self.page_size_query_param)
        if raw is not None:
            try:
                int(raw)
            except ValueError:
                raise exceptions.ValidationError(
                    {"page_size": [_("A whole number of notices per page, up to 200.")]}
                ) from None
        return super().get_page_size(request)

    def decode_cursor(self, request):
        # DRF answers a bad cursor 404 "Invalid cursor"; it is a bad parameter: 400, and why.
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound:
            raise exceptions.ValidationError(
                {
                    "cursor": [
                        _(
                            "This cursor is not one of ours. Follow a page's 'next' link as "
                            "given, or start again without a cursor."
                        )
                    ]
                }
            ) from None


class XARFRenderer(JSONRenderer):
    """``?format=xarf``: the notice as its X-ARF v4 document."""

    format = "xarf"


@extend_schema(tags=["provider"])
class ProviderNoticeViewSet(ReadOnlyModelViewSet):
    authentication_classes = [ProviderKeyAuthentication]
    permission_classes = [HasProviderKey]
    throttle_classes = [ProviderThrottle]
    serializer_class = NoticeSerializer
    pagination_class = NewestFirst
    filterset_class = NoticeFilter
    renderer_classes = [JSONRenderer, XARFRenderer]

    def get_renderers(self):
        # ?format=xarf is for one notice; lists and actions answer JSON only.
        if getattr(self, "action", None) == "retrieve":
            return [JSONRenderer(), XARFRenderer()]
        return [JSONRenderer()]

    def perform_content_negotiation(self, request, force=False):
        try:
            return super().perform_content_negotiation(request, force)
        except Http404:
            formats = " or ".join(f"?format={r.format}" for r in self.get_renderers())
            raise exceptions.NotFound(
                _("Unknown format. Leave it out for JSON, or ask for %(formats)s.")
                % {"formats": formats}
            ) from None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no key, no provider
            return Notice.objects.none()
        # The list's fields and the columns behind them (a field may show a column under
        # another name, or a property of columns of the same names).
        sources = [field.source for field in NoticeSerializer().fields.values()]
        shown = [*NoticeSerializer.Meta.fields, *sources] if self.action == "list" else None
        return provider_notices(self.request.auth.provider, shown=shown)

    def get_object(self):
        if NOTICE_ID.fullmatch(self.kwargs["pk"]) is None:
            raise exceptions.NotFound(self._not_found())
        notice = self.get_queryset().filter(pk=int(self.kwargs["pk"])).first()
        if notice is None:
            raise exceptions.NotFound(self._not_found())
        return notice

    def _not_found(self) -> str:
        return _("No notice of yours has this id. List your notices at /api/v1/provider/notices/.")

    @extend_schema(
        summary="Your notices, newest first",
        responses={200: NoticeSerializer(many=True), 400: ERROR, **AUTH_ERRORS},
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="One notice; ?format=xarf answers its X-ARF v4 document",
        description="The notice as JSON, or with `?format=xarf` its X-ARF v4 `content/csam` "
        "document (https://xarf.org/schemas/v4/types/content-csam.json), never with evidence.",
        parameters=[
            OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "xarf"], required=False)
        ],
        responses={200: NOTICE_OR_XARF, 404: ERROR, **AUTH_ERRORS},
    )
    def retrieve(self, request, *args, **kwargs):
        notice = self.get_object()
        if request.accepted_renderer.format == "xarf":
            return Response(xarf_document(notice))
        return Response(self.get_serializer(notice).data)

    @extend_schema(
        summary="Acknowledge receipt",
        request=None,
        responses={200: NoticeSerializer, 404: ERROR, 409: ERROR, **AUTH_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        notice = notice_acknowledge(self.get_object().pk, actor=Actor.for_api_key(request.auth))
        return Response(self.get_serializer(notice).data)

    @extend_schema(
        summary="Confirm removal (the clock stops at removed_at)",
        request=RemovedSerializer,
        responses={200: NoticeSerializer, 400: ERROR, 404: ERROR, 409: ERROR, **AUTH_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def removed(self, request, pk=None):
        notice = self.get_object()
        body = RemovedSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        removed_at = body.validated_data.get("removed_at")
        if removed_at is not None and notice.status in ANSWERABLE_NOTICE_STATUSES:
            if removed_at > timezone.now():
                raise exceptions.ValidationError({"removed_at": [_("It is in the future.")]})
            if removed_at < notice.handed_off_at:
                raise exceptions.ValidationError(
                    {
                        "removed_at": [
                            _("It is before the notice reached you (%(sent)s).")
                            % {"sent": notice.handed_off_at.isoformat()}
                        ]
                    }
                )
        if removed_at is not None:
            removed_at = removed_at.astimezone(UTC)  # see notices_sent_since
        notice = notice_confirm_removed(
            notice.pk, actor=Actor.for_api_key(request.auth), removed_at=removed_at
        )
        return Response(self.get_serializer(notice).data)

    @extend_schema(
        summary="Dispute the notice (a reason is required)",
        request=DisputeSerializer,
        responses={200: NoticeSerializer, 400: ERROR, 404: ERROR, 409: ERROR, **AUTH_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def dispute(self, request, pk=None):
        notice = self.get_object()
        body = DisputeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        notice = notice_dispute(
            notice.pk, actor=Actor.for_api_key(request.auth), reason=body.validated_data["reason"]
        )
        return Response(self.get_serializer(notice).data)
