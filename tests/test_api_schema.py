import json

from django.core.management import call_command


def test_openapi_schema_validates_without_warnings(tmp_path):
    # --fail-on-warn turns any drf-spectacular warning into a non-zero exit (SystemExit).
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml")
    )
    schema = (tmp_path / "schema.yaml").read_text()
    for path in (
        "/api/v1/reports/",
        "/api/v1/reports/{reference}/status/",
        "/api/v1/partner/reports/",
    ):
        assert path in schema
    assert "PartnerApiKey" in schema


def test_swagger_ui_is_served_without_any_cdn(client):
    page = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in page
    assert "cdn." not in page and "unpkg" not in page and "jsdelivr" not in page
    asset = client.get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert asset.status_code == 200


PROVIDER_OPERATIONS = {
    # (path, method): the errors each must document besides 401, 403 and 429.
    ("/api/v1/provider/notices/", "get"): {"400"},
    ("/api/v1/provider/notices/{id}/", "get"): {"404"},
    ("/api/v1/provider/notices/{id}/acknowledge/", "post"): {"404", "409"},
    ("/api/v1/provider/notices/{id}/removed/", "post"): {"400", "404", "409"},
    ("/api/v1/provider/notices/{id}/dispute/", "post"): {"400", "404", "409"},
}


def test_every_provider_operation_documents_its_key_and_its_errors(tmp_path):
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--format",
        "openapi-json",
        "--file",
        str(tmp_path / "schema.json"),
    )
    schema = json.loads((tmp_path / "schema.json").read_text())

    scheme = schema["components"]["securitySchemes"]["ProviderApiKey"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "Authorization")
    assert "`Authorization: Api-Key <key>`" in scheme["description"]
    documented = {
        (path, method)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if "provider" in operation.get("tags", [])
    }
    assert documented == set(PROVIDER_OPERATIONS)
    for (path, method), errors in PROVIDER_OPERATIONS.items():
        operation = schema["paths"][path][method]
        assert operation["security"] == [{"ProviderApiKey": []}], path
        responses = set(operation["responses"])
        assert {"200", "401", "403", "429"} | errors <= responses, (path, method, responses)
        if "{id}" in path:
            assert {"404"} <= responses
            assert operation["responses"]["404"]["description"].startswith("JSON: {detail")
    detail = schema["paths"]["/api/v1/provider/notices/{id}/"]["get"]
    assert detail["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/NoticeOrXARF"
    }
    assert [p["name"] for p in detail["parameters"] if p["in"] == "query"] == ["format"]
