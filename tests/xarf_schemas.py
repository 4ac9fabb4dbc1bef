"""The X-ARF v4 schemas the tests validate against.

The copy bundled with the service (reports/xarf), so the tests run in any checkout; wherever the
reference copy (../shared/xarf) is present, tests/reports/notices checks the bundle is identical
to it, so a drifted bundle cannot hide an invalid document.
"""

import json
from functools import cache
from pathlib import Path

from django.conf import settings
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

BUNDLED = Path(settings.BASE_DIR) / "reports" / "xarf" / "v4"
SHARED = Path(settings.BASE_DIR).parent / "shared" / "xarf" / "v4"
CSAM_SCHEMA = "https://xarf.org/schemas/v4/types/content-csam.json"


def schema_files(directory: Path) -> dict[str, object]:
    return {
        str(path.relative_to(directory)): json.loads(path.read_text())
        for path in sorted(directory.rglob("*.json"))
    }


@cache
def xarf_validator() -> Draft202012Validator:
    resources = [
        (schema["$id"], Resource.from_contents(schema)) for schema in schema_files(BUNDLED).values()
    ]
    registry = Registry().with_resources(resources)
    schema = registry.contents(CSAM_SCHEMA)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(
        schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def assert_valid_xarf(document: dict) -> None:
    errors = [f"{list(e.path)}: {e.message}" for e in xarf_validator().iter_errors(document)]
    assert errors == []
