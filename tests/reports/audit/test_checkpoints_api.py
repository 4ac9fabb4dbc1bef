"""The audit trail: GET /api/v1/audit/checkpoints/."""

import pytest
from cryptography.hazmat.primitives import serialization

from hotline.audit import checkpoints
from hotline.services import audit_api_key_create
from reports import workflow
from reports.audit import audit_checkpoint
from tests.reports.factories import StaffUserFactory

# --- GET /api/v1/audit/checkpoints/ -----------------------------------------------------------


CHECKPOINTS_URL = "/api/v1/audit/checkpoints/"


@pytest.fixture
def two_checkpoints(history, sam):
    first = audit_checkpoint()
    workflow.report_release(history[-1].report_id, actor=sam)
    return first, audit_checkpoint()


def test_an_audit_key_reads_the_checkpoints_and_the_key_to_check_them(api_client, two_checkpoints):
    _, key = audit_api_key_create(holder="Regulator", key_name="audit")
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")

    body = api_client.get(CHECKPOINTS_URL).json()

    assert [c["line"] for c in body["checkpoints"]] == [c.line for c in two_checkpoints]
    assert [c["seq"] for c in body["checkpoints"]] == [10, 11]
    public = serialization.load_pem_public_key(body["public_key"].encode())
    assert body["key_id"] == checkpoints.key_id(public) == body["checkpoints"][0]["key_id"]
    for entry in body["checkpoints"]:
        assert checkpoints.SignedCheckpoint.parse(entry["line"]).signed_by(public)
    assert body["more"] is False
    after = api_client.get(CHECKPOINTS_URL, {"after": 10}).json()["checkpoints"]
    assert [c["seq"] for c in after] == [11]


def test_auditor_staff_read_the_checkpoints_and_analysts_do_not(client, two_checkpoints):
    client.force_login(StaffUserFactory(role="auditor"))
    assert client.get(CHECKPOINTS_URL).status_code == 200
    client.force_login(StaffUserFactory(role="analyst"))
    refused = client.get(CHECKPOINTS_URL)
    assert refused.status_code == 403
    assert refused.json()["detail"] == "The audit checkpoints are for auditors and audit API keys."


def test_the_checkpoints_need_a_key_or_a_sign_in(api_client, two_checkpoints):
    assert api_client.get(CHECKPOINTS_URL).status_code in (401, 403)
    api_client.credentials(HTTP_AUTHORIZATION="Api-Key not.a-key")
    assert api_client.get(CHECKPOINTS_URL).status_code in (401, 403)
