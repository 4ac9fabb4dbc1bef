"""Thin API views: parse, call one intake service or selector, render."""

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from hotline.actors import Actor
from hotline.api import HasPartnerKey, JSONParser, PartnerKeyAuthentication
from hotline.schema import ERROR
from hotline.throttling import PartnerThrottle, PublicIntakeThrottle, ReportStatusThrottle
from reports.api import serializers
from reports.intake import (
    IdempotencyKeyReused,
    partner_batch_submit,
    report_submit,
    submission_clean,
)
from reports.models import Channel
from reports.selectors.reporter import report_status_for_reporter

IDEMPOTENCY_KEY_MAX_LENGTH = 200


class PublicReportCreateView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [PublicIntakeThrottle]
    parser_classes = [JSONParser, FormParser]

    @extend_schema(
        operation_id="report_create",
        summary="Report a URL",
        request=serializers.PublicReportSerializer,
        responses={
            201: serializers.ReportReceiptSerializer,
            400: ERROR,
            413: ERROR,
            415: ERROR,
            429: ERROR,
        },
        tags=["public"],
    )
    def post(self, request):
        serializer = serializers.PublicReportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = report_submit(
            submission=submission_clean(**serializer.validated_data),
            channel=Channel.API,
            actor=Actor.public(),
        )
        reference = result.report.reference
        # The same answer whether or not the URL was already reported.
        receipt = {
            "reference": reference,
            "tracking_secret": result.tracking_secret,
            "status": "received",
            "status_url": reverse("api:report-status", args=[reference]),
        }
        return Response(
            serializers.ReportReceiptSerializer(receipt).data, status=status.HTTP_201_CREATED
        )


class ReportStatusView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [ReportStatusThrottle]

    @extend_schema(
        operation_id="report_status",
        summary="A report's coarse status, for its reporter",
        parameters=[
            OpenApiParameter(
                "X-Tracking-Secret",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=True,
                description="The tracking secret shown when the report was made.",
            )
        ],
        responses={200: serializers.ReporterStatusSerializer, 404: ERROR, 429: ERROR},
        tags=["public"],
    )
    def get(self, request, reference):
        found = None
        if "\x00" not in reference:  # no reference has one, and PostgreSQL refuses it in a query
            found = report_status_for_reporter(
                reference=reference, secret=request.headers.get("X-Tracking-Secret", "")
            )
        if found is None:
            raise exceptions.NotFound(
                _("No report matches this reference and tracking secret. Check both and try again.")
            )
        return Response(serializers.ReporterStatusSerializer(found).data)


class IdempotencyConflict(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = _(
        "This Idempotency-Key was already used for a different batch. "
        "Use a new key for new content; reuse a key only to retry the very same request."
    )
    default_code = "idempotency_key_reused"


class PartnerReportBatchView(APIView):
    authentication_classes = [PartnerKeyAuthentication]
    permission_classes = [HasPartnerKey]
    throttle_classes = [PartnerThrottle]

    @extend_schema(
        operation_id="partner_reports_submit",
        summary=f"Submit up to {settings.HOTLINE_PARTNER_BATCH_MAX} reports at once",
        description=(
            "One transaction. Each item is answered `created`, `duplicate` or `rejected` with "
            "its reason. Send an `Idempotency-Key` header to make a retry return the first "
            "answer without filing anything again."
        ),
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="Up to 200 characters, unique per batch.",
            )
        ],
        request=serializers.PartnerBatchDocSerializer,
        responses={
            200: serializers.PartnerBatchResultSerializer,
            400: ERROR,
            401: ERROR,
            403: ERROR,
            413: ERROR,
            422: ERROR,
            429: ERROR,
        },
        tags=["partner"],
    )
    def post(self, request):
        serializer = serializers.PartnerBatchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        key = request.headers.get("Idempotency-Key", "").strip() or None
        if key is not None and len(key) > IDEMPOTENCY_KEY_MAX_LENGTH:
            raise exceptions.ValidationError(
                {"Idempotency-Key": [_("At most %d characters.") % IDEMPOTENCY_KEY_MAX_LENGTH]}
            )
        if key is not None and not key.isprintable():
            raise exceptions.ValidationError(
                {"Idempotency-Key": [_("Only printable characters: no control characters.")]}
            )
        try:
            batch = partner_batch_submit(
                partner=request.auth.partner,
                items=serializer.validated_data["reports"],
                actor=Actor.for_api_key(request.auth),
                idempotency_key=key,
            )
        except IdempotencyKeyReused:
            raise IdempotencyConflict from None
        outcomes = [item["outcome"] for item in batch.items]
        body = {"results": batch.items} | {
            outcome: outcomes.count(outcome) for outcome in ("created", "duplicate", "rejected")
        }
        headers = {"Idempotent-Replayed": "true"} if batch.replayed else {}
        return Response(serializers.PartnerBatchResultSerializer(body).data, headers=headers)
