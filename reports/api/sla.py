"""GET /api/v1/sla/: compliance figures for supervisors, auditors and audit keys (JSON or CSV)."""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    inline_serializer,
)
from rest_framework import exceptions, serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from hotline.api import AuditKeyAuthentication, CanReadSLA
from hotline.schema import ERROR
from reports.sla.figures import GROUPS, VERIFICATION_NOTES, sla_report
from reports.sla.period import EmptyPeriod, Period, month_to_date
from reports.sla.render import COLUMNS, sla_csv


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if "groups" not in data:  # an error body
            return "detail\n" + str(data.get("detail", "")) + "\n"
        return sla_csv(data)


class PeriodSerializer(serializers.Serializer):
    # "from" is a Python keyword: the field is declared under its query name below.
    to = serializers.DateField(required=False, help_text="End date, exclusive (default: today+1).")
    group_by = serializers.ChoiceField(choices=list(GROUPS), default="provider")

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField(
            required=False, help_text="Start date, inclusive (default: the 1st of this month)."
        )
        return fields

    def validate(self, data):
        default_start, default_end = month_to_date()
        try:
            data["period"] = Period.from_dates(
                data.get("from") or default_start, data.get("to") or default_end
            )
        except EmptyPeriod:
            raise serializers.ValidationError({"to": [_("It must be after 'from'.")]}) from None
        return data


def _group_field(name: str) -> serializers.Field:
    if name == "group":
        return serializers.CharField()
    if name.endswith(("_seconds", "_rate")):  # empty where a group has no removal to time
        return serializers.FloatField(allow_null=True)
    return serializers.IntegerField()


SLA_GROUP = inline_serializer("SLAGroup", {name: _group_field(name) for name in COLUMNS})


class SLAView(APIView):
    authentication_classes = [SessionAuthentication, AuditKeyAuthentication]
    permission_classes = [CanReadSLA]
    renderer_classes = [JSONRenderer, CSVRenderer]

    @extend_schema(
        operation_id="sla_figures",
        summary="SLA compliance figures (definitions in the README)",
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="Start date, inclusive."),
            OpenApiParameter("to", OpenApiTypes.DATE, description="End date, exclusive."),
            OpenApiParameter("group_by", OpenApiTypes.STR, enum=list(GROUPS)),
            OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "csv"]),
        ],
        responses={
            200: inline_serializer(
                "SLAReport",
                {
                    "from": serializers.DateTimeField(),
                    "to": serializers.DateTimeField(),
                    "as_of": serializers.DateTimeField(),
                    "group_by": serializers.CharField(),
                    "verification": serializers.ChoiceField(
                        choices=list(VERIFICATION_NOTES),
                        help_text="Whether the service checks removals itself; off: "
                        f"{VERIFICATION_NOTES['off']}.",
                    ),
                    "groups": serializers.ListField(
                        child=SLA_GROUP, help_text=f"Columns: {', '.join(COLUMNS)}"
                    ),
                    "hotline": serializers.DictField(),
                },
            ),
            400: ERROR,
            401: ERROR,
            403: ERROR,
        },
        tags=["sla"],
    )
    def get(self, request):
        params = PeriodSerializer(data=request.query_params)
        if not params.is_valid():
            raise exceptions.ValidationError(params.errors)
        report = sla_report(params.validated_data["period"], params.validated_data["group_by"])
        response = Response(report)
        if request.accepted_renderer.format == "csv":
            name = f"sla-{report['from'][:10]}-{report['to'][:10]}-{report['group_by']}.csv"
            response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
