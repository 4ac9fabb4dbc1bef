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
