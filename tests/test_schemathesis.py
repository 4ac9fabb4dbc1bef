"""Schemathesis against the live API: real HTTP, the schema the server serves, valid keys.

Each public, partner and provider operation is fuzzed with schema-valid and schema-invalid
data: no answer may be a 5xx, and every answer must be one the schema documents, with the
documented body (all of schemathesis's checks). Then every provider operation is called on the
provider's real notices in each state, so the 200 and 409 answers are checked too, not only the
404s that random ids meet.

HOTLINE_FUZZ_EXAMPLES (default 30 per operation and mode) runs a deeper search locally. What the
fuzzer found is pinned at the end as plain regression tests.

It uses schemathesis's Python API (``operation.as_strategy`` under ``@given``): its pytest
loader ``schemathesis.pytest.from_fixture`` needs ``Node._nodeid``, which pytest 9.2 removed.
PostgreSQL only (as in .ci/run): the live server answers from its own thread and connection.
"""

import os
import uuid

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from hypothesis import HealthCheck, given, settings
from rest_framework.test import APIClient
from schemathesis import GenerationMode
from schemathesis.checks import load_all_checks
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from hotline.actors import Actor
from hotline.services import partner_api_key_create, provider_api_key_create
from hotline.throttling import ProviderThrottle
from reports import deadlines, outbox, workflow
from tests.reports.factories import ProviderFactory, ReportFactory, notice_send

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TAGS = ("public", "partner", "provider")
# Every operation of those tags; a new one must be added here to be fuzzed.
OPERATIONS = [
    ("POST", "/api/v1/reports/"),
    ("GET", "/api/v1/reports/{reference}/status/"),
    ("POST", "/api/v1/partner/reports/"),
    ("GET", "/api/v1/provider/notices/"),
    ("GET", "/api/v1/provider/notices/{id}/"),
    ("POST", "/api/v1/provider/notices/{id}/acknowledge/"),
    ("POST", "/api/v1/provider/notices/{id}/removed/"),
    ("POST", "/api/v1/provider/notices/{id}/dispute/"),
]
STATES = ("open", "acknowledged", "disputed", "removed", "withdrawn")
ILLEGAL = {
    "legal_status": "baseline",
    "industry_category": "B2",
    "content_type": "image",
    "site_type": "image_host",
    "commerciality": "commercial",
}


# Checks that cannot hold for a request, because the rule it meets lives outside the schema.
def excused_checks(case) -> list:
    operation = (case.method.upper(), case.operation.path)
    excused = {
        # Whether a URL can be reported (scheme, host, canonical form) is intake's decision,
        # answered 400 with the reason: "0" is a schema-valid string but not a reportable URL.
        ("POST", "/api/v1/reports/"): [positive_data_acceptance],
        # Items are checked one by one and a bad one is answered `rejected` inside the 200, by
        # design: a batch with a schema-violating item is (rightly) not refused as a whole.
        ("POST", "/api/v1/partner/reports/"): [negative_data_rejection],
        # removed_at must lie between the notice being sent and now: 400 otherwise.
        ("POST", "/api/v1/provider/notices/{id}/removed/"): [positive_data_acceptance],
    }.get(operation, [])
    if operation == ("GET", "/api/v1/provider/notices/") and "cursor" in (case.query or {}):
        excused = [positive_data_acceptance]  # a cursor is opaque: only ours are valid (400)
    if has_nul((case.body, case.query, case.path_parameters)):
        # No text the service keeps may hold NUL (PostgreSQL cannot): 400 wherever it is sent,
        # which JSON Schema has no way to say.
        excused = [*excused, positive_data_acceptance]
    return excused


def has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_nul(item) for item in value)
    return False


# Generated requests per operation and mode (positive, negative): the file stays under 2 minutes.
MAX_EXAMPLES = int(os.environ.get("HOTLINE_FUZZ_EXAMPLES", "30"))  # more for a deeper local run


@pytest.fixture
def keys(live_server, monkeypatch):
    """A provider with a notice in every visible state, its key, and a partner key."""
    # Raised, so the fuzzer meets the API rather than the rate limit (429 stays documented).
    # THROTTLE_RATES is DRF's one dict of rates, shared by every throttle class.
    for scope in ("public_intake", "partner", "report_status", "provider"):
        monkeypatch.setitem(ProviderThrottle.THROTTLE_RATES, scope, "1000000/min")
    # No broker traffic from here: timers and mail delivery are other tests' business.
    monkeypatch.setattr(deadlines, "_send_wakes", lambda *args: None)
    monkeypatch.setattr(outbox, "drain_kick", lambda: None)

    # Transactional tests flush the role groups that migrations made: a superuser acts.
    actor = Actor.for_user(get_user_model().objects.create_superuser("sam", "sam@x.example"))
    provider = ProviderFactory(name="Fuzz Hosting", country="NL")
    api_key, provider_key = provider_api_key_create(provider_name=provider.name, key_name="fuzz")
    ids = {}
    for state in STATES:
        report = ReportFactory()
        workflow.report_claim(report.pk, actor=actor)
        workflow.report_assess_illegal(report.pk, actor=actor, **ILLEGAL)
        workflow.report_set_hosting(report.pk, actor=actor, provider_id=provider.pk, country="NL")
        notice = notice_send(report.pk, actor=actor)
        if state == "removed":
            workflow.report_confirm_removal(report.pk, actor=actor)
        elif state == "withdrawn":
            workflow.report_withdraw_notice(report.pk, actor=actor, reason="Wrong provider.")
        elif state == "acknowledged":
            workflow.notice_acknowledge(notice.pk, actor=Actor.for_api_key(api_key))
        elif state == "disputed":
            workflow.notice_dispute(notice.pk, actor=Actor.for_api_key(api_key), reason="No.")
        ids[state] = notice.pk
    _, partner_key, _ = partner_api_key_create(partner_name="Fuzz Partner", key_name="fuzz")
    return {
        "provider": provider_key,
        "partner": partner_key,
        "notices": ids,
        "provider_header": {"Authorization": f"Api-Key {provider_key}"},
    }


@pytest.fixture
def live_schema(live_server, keys):
    """The schema as the live server serves it, with both keys as its security schemes' values.

    Given as schemathesis auth (not as extra headers), so that schemathesis knows which requests
    carry a key: its negative mode also leaves the key out, and expects a 401 then.
    """
    load_all_checks()
    config = schemathesis.Config.from_dict(
        {
            "auth": {
                "openapi": {
                    "ProviderApiKey": {"api_key": f"Api-Key {keys['provider']}"},
                    "PartnerApiKey": {"api_key": f"Api-Key {keys['partner']}"},
                }
            }
        }
    )
    return schemathesis.openapi.from_url(
        f"{live_server.url}/api/schema/?format=json", config=config
    )


def test_the_operations_fuzzed_are_all_the_public_partner_and_provider_ones(live_schema):
    served = {
        (operation.method.upper(), operation.path)
        for result in live_schema.get_all_operations()
        for operation in [result.ok()]
        if set(operation.tags or []) & set(TAGS)
    }
    assert served == set(OPERATIONS)


def fuzz(operation, mode: GenerationMode) -> set[int]:
    """Run MAX_EXAMPLES generated requests through every check; the statuses they got."""
    statuses = set()

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        if mode.is_positive and "Idempotency-Key" in (case.headers or {}):
            # A key reused for another batch is 422 by design (tested in test_partner_api):
            # a fresh key keeps a schema-valid batch valid.
            case.headers["Idempotency-Key"] = uuid.uuid4().hex
        response = case.call_and_validate(excluded_checks=excused_checks(case))
        statuses.add(response.status_code)

    run()
    return statuses


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_fuzzed_requests_get_documented_answers_and_never_a_5xx(live_schema, method, path):
    operation = live_schema[path][method]
    failures, statuses = [], set()
    for mode in GenerationMode:
        try:
            statuses |= fuzz(operation, mode)
        except Exception as exc:
            exc.add_note(f"{mode} mode")
            failures.append(exc)
    if failures:
        raise ExceptionGroup(f"{method} {path}", failures)
    assert statuses - {401, 403}, "every request was refused: the keys were not sent"


CALLS = [
    ("GET", "/api/v1/provider/notices/", {}, None),
    ("GET", "/api/v1/provider/notices/", {"status": "closed", "page_size": 2}, None),
    ("GET", "/api/v1/provider/notices/{id}/", {}, None),
    ("GET", "/api/v1/provider/notices/{id}/", {"format": "xarf"}, None),
    ("POST", "/api/v1/provider/notices/{id}/acknowledge/", {}, None),
    ("POST", "/api/v1/provider/notices/{id}/dispute/", {}, {"reason": "Not ours."}),
    ("POST", "/api/v1/provider/notices/{id}/removed/", {}, {}),
]


def test_provider_answers_on_real_notices_conform_to_the_schema(live_schema, keys):
    statuses = {}
    for state, notice_id in keys["notices"].items():
        for method, path, query, body in CALLS:
            operation = live_schema[path][method]
            params = {"id": notice_id} if "{id}" in path else {}
            if body is None:
                case = operation.Case(path_parameters=params, query=query)
            else:
                case = operation.Case(
                    path_parameters=params, query=query, body=body, media_type="application/json"
                )
            # Built by hand, so not through schemathesis's auth: the key goes as a header.
            response = case.call_and_validate(headers=keys["provider_header"])
            statuses[(state, method, path, str(query))] = response.status_code
    assert set(statuses.values()) <= {200, 409}, statuses
    assert statuses[("withdrawn", "POST", "/api/v1/provider/notices/{id}/removed/", "{}")] == 409
    assert statuses[("open", "GET", "/api/v1/provider/notices/{id}/", "{'format': 'xarf'}")] == 200


# --- what the fuzzer found, pinned (each was a 500 on PostgreSQL) -----------------------------


KEY = {"Idempotency-Key": "batch-1"}


def raw_post(client, url: str, body: str, **headers):
    data = body.encode("utf-8", "surrogatepass")  # lone surrogates, as a fuzzer sends them
    return client.generic("POST", url, data, content_type="application/json", headers=headers)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "headers"),
    [
        # With an Idempotency-Key the answer is stored (JSON, in PostgreSQL) and the body hashed.
        pytest.param('{"reports": [{"url": "0", "external_id": "a\\u0000"}]}', KEY, id="NUL"),
        pytest.param('{"reports": [{"url": "0", "description": "\\ud800"}]}', {}, id="surrogate"),
        pytest.param('{"reports": [{"url": "0", "\\udfff": 1}]}', KEY, id="surrogate key"),
        pytest.param(
            '{"reports": [{"url": "https://a.example/x"}]}',
            {"Idempotency-Key": "batch\x001"},
            id="NUL in Idempotency-Key",
        ),
    ],
)
def test_a_partner_batch_that_is_not_storable_text_is_a_400(body, headers):
    client = APIClient(raise_request_exception=False)
    _, key, _ = partner_api_key_create(partner_name="Fuzz Partner", key_name="fuzz")
    response = raw_post(
        client, "/api/v1/partner/reports/", body, Authorization=f"Api-Key {key}", **headers
    )
    assert response.status_code == 400
    assert response.json()["fields"]


@pytest.mark.django_db
def test_a_status_lookup_with_a_nul_in_the_reference_is_a_404():
    response = APIClient(raise_request_exception=False).get(
        "/api/v1/reports/HL-%00/status/", headers={"X-Tracking-Secret": "x"}
    )
    assert response.status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("since", "status"),
    [("5000-04-16T20:49:40.7-17:46", 200), ("0001-01-01T00:00:00+05:00", 400)],
)
def test_since_in_any_offset_is_answered(since, status):
    provider = ProviderFactory(name="Fuzz Hosting", country="NL")
    _, key = provider_api_key_create(provider_name=provider.name, key_name="fuzz")
    response = APIClient(raise_request_exception=False).get(
        "/api/v1/provider/notices/", {"since": since}, headers={"Authorization": f"Api-Key {key}"}
    )
    assert response.status_code == status
