"""GET /api/v1/audit/checkpoints/: the signed checkpoints and the key to check them, for
auditors who keep them outside the service (README: audit trail)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.response import Response
from rest_framework.views import APIView

from hotline.api import AuditKeyAuthentication, CanReadAuditCheckpoints
from hotline.audit import checkpoints
from hotline.schema import ERROR
from reports import audit

PAGE = 500


class AfterSerializer(serializers.Serializer):
    after = serializers.IntegerField(
        min_value=0, default=0, help_text="Only checkpoints past this sequence number."
    )


class CheckpointListView(APIView):
    authentication_classes = [SessionAuthentication, AuditKeyAuthentication]
    permission_classes = [CanReadAuditCheckpoints]

    @extend_schema(
        operation_id="audit_checkpoints",
        summary="Signed audit checkpoints (format and checking in the README)",
        parameters=[OpenApiParameter("after", int, description="A sequence number.")],
        responses={
            200: inline_serializer(
                "AuditCheckpoints",
                {
                    "format": serializers.CharField(),
                    "key_id": serializers.CharField(),
                    "public_key": serializers.CharField(help_text="PEM, Ed25519"),
                    "checkpoints": serializers.ListField(child=serializers.DictField()),
                    "more": serializers.BooleanField(),
                },
            ),
            400: ERROR,
            401: ERROR,
            403: ERROR,
        },
        tags=["audit"],
    )
    def get(self, request):
        params = AfterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        stored = audit.checkpoints_after(params.validated_data["after"], PAGE + 1)
        key = checkpoints.signing_key().public_key()
        return Response(
            {
                "format": checkpoints.CHECKPOINT_FORMAT,
                "key_id": checkpoints.key_id(key),
                "public_key": checkpoints.public_key_pem(key),
                "checkpoints": [
                    {
                        "seq": c.seq,
                        "hash": c.chain_hash,
                        "at": c.at,
                        "key_id": c.key_id,
                        "line": c.line,
                    }
                    for c in stored[:PAGE]
                ],
                "more": len(stored) > PAGE,
            }
        )
