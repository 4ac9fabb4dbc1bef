"""Rules of the code's shape that the import contract (pyproject.toml) cannot express.

The status rule reads the source, so it sees Python only: raw SQL that sets a status is out of its
reach (the project has none outside migrations; review keeps it so).
"""

import ast
from pathlib import Path

import pytest
from django.conf import settings

from config.celery import app

ROOT = Path(settings.BASE_DIR)
WORKFLOW = ROOT / "reports" / "workflow"
SOURCES = [
    path
    for package in ("config", "hotline", "reports")
    for path in sorted((ROOT / package).rglob("*.py"))
    if "migrations" not in path.parts
]


def _is_workflow(path: Path) -> bool:
    return path == WORKFLOW.with_suffix(".py") or WORKFLOW in path.parents


def _names_status(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Constant) and n.value == "status" for n in ast.walk(node))


def _call_writes_status(call: ast.Call) -> bool:
    name = getattr(call.func, "attr", None) or getattr(call.func, "id", None)
    keywords = {keyword.arg: keyword.value for keyword in call.keywords}
    if name == "setattr":
        return len(call.args) >= 2 and _names_status(call.args[1])
    if name in {"update", "update_or_create"}:
        return "status" in keywords
    if name == "bulk_update":
        fields = [*call.args[1:], *([keywords["fields"]] if "fields" in keywords else [])]
        return any(_names_status(argument) for argument in fields)
    return False


def _assigns_status(node: ast.AST) -> bool:
    if not isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
        return False
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    return any(
        isinstance(element, ast.Attribute) and element.attr == "status"
        for target in targets
        for element in ast.walk(target)
    )


def status_writes(source: str) -> list[int]:
    """Line numbers where the code assigns a ``status``, in any of the ways Django allows."""
    return sorted(
        node.lineno
        for node in ast.walk(ast.parse(source))
        if _assigns_status(node) or (isinstance(node, ast.Call) and _call_writes_status(node))
    )


@pytest.mark.parametrize(
    "snippet",
    [
        "report.status = ReportStatus.DUPLICATE",
        "a.b.status = 'x'",
        "notice.status: str = 'open'",
        "setattr(report, 'status', 'closed')",
        "Report.objects.filter(pk=1).update(status='closed')",
        "Notice.objects.update_or_create(pk=1, status='open')",
        "Report.objects.bulk_update(rows, ['status', 'assigned_to'])",
        "Report.objects.bulk_update(rows, fields=('status',))",
    ],
)
def test_every_way_of_writing_a_status_is_seen(snippet):
    assert status_writes(snippet) == [1]


@pytest.mark.parametrize(
    "snippet",
    [
        "x = report.status",
        "Report.objects.filter(status='new').update(assigned_to=None)",
        "Response(data, status=201)",
        "Report.objects.bulk_update(rows, ['assigned_to'])",
    ],
)
def test_reading_a_status_is_not_writing_it(snippet):
    assert status_writes(snippet) == []


def test_only_the_workflow_assigns_a_status():
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in SOURCES
        if not _is_workflow(path)
        for line in status_writes(path.read_text())
    ]
    assert offenders == [], "only reports/workflow changes a status"


def _project_imports(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                modules.add(f"<relative import: {'.' * node.level}{node.module or ''}>")
            elif node.module:
                modules.add(node.module)
    return {
        module
        for module in modules
        if module.split(".")[0] in {"config", "hotline", "reports"} or module.startswith("<")
    }


def test_the_import_rule_for_clients_sees_a_forbidden_import(tmp_path):
    client = tmp_path / "client.py"
    client.write_text(
        "import dns.resolver\nfrom hotline.url import defang\nfrom hotline.models import Provider\n"
        "from . import sibling\nimport reports.models\n"
    )
    assert _project_imports(client) - {"hotline.url"} == {
        "hotline.models",
        "reports.models",
        "<relative import: .>",
    }


def test_clients_of_outside_systems_import_only_the_url_guards_of_the_project():
    # ... and one another (the TLS contexts they share), by absolute name.
    integrations = ROOT / "hotline" / "integrations"
    imports = {
        str(path.relative_to(ROOT)): {
            module
            for module in _project_imports(path) - {"hotline.url"}
            if not module.startswith("hotline.integrations")
        }
        for path in integrations.rglob("*.py")
    }
    assert {path: modules for path, modules in imports.items() if modules} == {}


def _task_names_sent_by_string() -> set[str]:
    names = set()
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and node.value.startswith(("reports.tasks.", "hotline.tasks."))
            ):
                names.add(node.value)
    return names


def test_every_task_named_by_string_and_every_beat_entry_is_registered():
    app.loader.import_default_modules()
    beat = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    named = _task_names_sent_by_string() | beat
    assert beat, "the beat schedule is empty"
    assert named - set(app.tasks) == set()


def test_the_architecture_sources_are_found():
    # A glob that matched nothing would make every rule above pass vacuously.
    assert ROOT / "reports" / "intake.py" in SOURCES
    assert any(_is_workflow(path) for path in SOURCES)


def test_migrations_import_no_live_code_of_the_project():
    # A migration replays history: code it imported would change under it (roles are synced on
    # post_migrate instead). The validators field definitions name are the exception Django needs.
    imports = {
        str(path.relative_to(ROOT)): _project_imports(path) - {"hotline.validators"}
        for package in ("hotline", "reports")
        for path in sorted((ROOT / package / "migrations").glob("0*.py"))
    }
    assert {path: modules for path, modules in imports.items() if modules} == {}


def test_audit_events_are_built_in_one_place():
    builders = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in SOURCES
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Event"
    ]
    assert len(builders) == 1 and builders[0].startswith("reports/audit.py:"), builders
