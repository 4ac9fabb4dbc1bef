"""The provider API: a provider's abuse desk sees and answers its own notices, and no others.

Every query starts from the key's provider, so another provider's notice is simply not found
(404, exactly as for a notice that does not exist).
"""

from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.decorators import action
from rest_framework.pagination import CursorPagination
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.viewsets import ReadOnlyModelViewSet

from hotline.actors import Actor
from hotline.api import HasProviderKey, ProviderKeyAuthentication
from hotline.throttling import ProviderThrottle
from reports.models import Notice
from reports.notices import xarf_document
from reports.workflow import (
    PROVIDER_VISIBLE,
    notice_acknowledge,
    notice_confirm_removed,
    notice_dispute,
)

ERROR = OpenApiResponse(description="JSON: {detail, fields?}: what was wrong and what to do.")
STATUS_GROUPS = {
    "open": [Notice.Status.OPEN],
    "overdue": [Notice.Status.OVERDUE],
    "closed": [Notice.Status.REMOVED, Notice.Status.WITHDRAWN],
}


class NoticeSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(source="report.reference")
    url = serializers.CharField(source="report.canonical_url", help_text="The exact URL.")
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
            "deadline_at",
            "seconds_left",
            "acknowledged_at",
            "removed_at",
            "disputed_at",
            "repeats_sent",
        ]

    def get_seconds_left(self, notice) -> int | None:
        if notice.status not in (Notice.Status.OPEN, Notice.Status.OVERDUE):
            return None
        return int((notice.deadline_at - timezone.now()).total_seconds())


class RemovedSerializer(serializers.Serializer):
    removed_at = serializers.DateTimeField(
        required=False,
        help_text="When the content was removed (default: now). Not before the notice was "
        "sent, not in the future.",
    )


class DisputeSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="Why the notice is wrong.")


class NoticeFilter(filters.FilterSet):
    status = filters.ChoiceFilter(
        choices=[(name, name) for name in STATUS_GROUPS], method="filter_status"
    )
    since = filters.IsoDateTimeFilter(field_name="sent_at", lookup_expr="gte")

    class Meta:
        model = Notice
        fields = ["status", "since"]

    def filter_status(self, queryset, name, value):
        return queryset.filter(status__in=STATUS_GROUPS[value])


class NewestFirst(CursorPagination):
    ordering = ("-sent_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


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

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no key, no provider
            return Notice.objects.none()
        return (
            Notice.objects.filter(provider=self.request.auth.provider, status__in=PROVIDER_VISIBLE)
            .select_related("report", "provider")
            .order_by("-sent_at", "-id")
        )

    def get_object(self):
        try:
            notice_id = int(self.kwargs["pk"])
        except ValueError:
            raise exceptions.NotFound(self._not_found()) from None
        notice = self.get_queryset().filter(pk=notice_id).first()
        if notice is None:
            raise exceptions.NotFound(self._not_found())
        return notice

    def _not_found(self) -> str:
        return _("No notice of yours has this id. List your notices at /api/v1/provider/notices/.")

    @extend_schema(
        summary="Your notices, newest first",
        responses={200: NoticeSerializer(many=True), 401: ERROR, 403: ERROR, 429: ERROR},
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="One notice; ?format=xarf answers its X-ARF v4 document",
        parameters=[
            OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "xarf"], required=False)
        ],
        responses={200: NoticeSerializer, 401: ERROR, 403: ERROR, 404: ERROR, 429: ERROR},
    )
    def retrieve(self, request, *args, **kwargs):
        notice = self.get_object()
        if request.accepted_renderer.format == "xarf":
            return Response(xarf_document(notice))
        return Response(self.get_serializer(notice).data)

    @extend_schema(
        summary="Acknowledge receipt",
        request=None,
        responses={200: NoticeSerializer, 404: ERROR, 409: ERROR, 429: ERROR},
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        notice = notice_acknowledge(self.get_object().pk, actor=Actor.for_api_key(request.auth))
        return Response(self.get_serializer(notice).data)

    @extend_schema(
        summary="Confirm removal (the clock stops at removed_at)",
        request=RemovedSerializer,
        responses={200: NoticeSerializer, 400: ERROR, 404: ERROR, 409: ERROR, 429: ERROR},
    )
    @action(detail=True, methods=["post"])
    def removed(self, request, pk=None):
        notice = self.get_object()
        body = RemovedSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        removed_at = body.validated_data.get("removed_at")
        if removed_at is not None and notice.status in (Notice.Status.OPEN, Notice.Status.OVERDUE):
            if removed_at > timezone.now():
                raise exceptions.ValidationError({"removed_at": [_("It is in the future.")]})
            if removed_at < notice.sent_at:
                raise exceptions.ValidationError(
                    {
                        "removed_at": [
                            _("It is before the notice was sent (%(sent)s).")
                            % {"sent": notice.sent_at.isoformat()}
                        ]
                    }
                )
        notice = notice_confirm_removed(
            notice.pk, actor=Actor.for_api_key(request.auth), removed_at=removed_at
        )
        return Response(self.get_serializer(notice).data)

    @extend_schema(
        summary="Dispute the notice (a reason is required)",
        request=DisputeSerializer,
        responses={200: NoticeSerializer, 400: ERROR, 404: ERROR, 409: ERROR, 429: ERROR},
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
