"""The report list's search takes what analysts paste: a reference or a part of it, a host or a
domain with its subdomains, a URL exact or defanged."""

from urllib.parse import urlencode

import pytest

from reports.models import Report
from tests.reports.factories import StaffUserFactory
from tests.reports.triage_admin.support import client_for, page, submit

pytestmark = pytest.mark.django_db
LIST = "/admin/reports/report/"


@pytest.fixture
def ann():
    return client_for(StaffUserFactory(username="ann", role="analyst"))


def found(client, term: str) -> set[str]:
    """The references the list shows for the search ``term``."""
    text = page(client, f"{LIST}?{urlencode({'q': term})}")
    return {r.reference for r in Report.objects.all() if r.reference in text}


@pytest.fixture
def reports():
    return {
        "apex": submit("https://example.org/a.jpg"),
        "files": submit("https://files.example.org/b.jpg"),
        "deep": submit("https://cdn.files.example.org/c.jpg"),
        "other": submit("https://example.net/d.jpg"),
        "lookalike": submit("https://notexample.org/e.jpg"),
    }


def references(reports, *names) -> set[str]:
    return {reports[name].reference for name in names}


@pytest.mark.parametrize(
    "shape",
    [
        lambda ref: ref,  # HL-HA5W-49X1
        lambda ref: ref.lower(),  # hl-ha5w-49x1
        lambda ref: ref[3:].lower(),  # ha5w-49x1
        lambda ref: ref[3:].replace("-", ""),  # HA5W49X1
        lambda ref: ref[3:7].lower(),  # ha5w
        lambda ref: ref[5:10],  # 5W-49: across the dash
        lambda ref: f"  {ref}  ",
    ],
    ids=["whole", "lower case", "no prefix", "no dashes", "first part", "across dash", "spaces"],
)
def test_a_reference_or_a_part_of_it_finds_the_report(ann, reports, shape):
    wanted = reports["files"]

    assert wanted.reference in found(ann, shape(wanted.reference))


def test_a_part_shorter_than_four_characters_is_not_a_reference_search(ann, reports):
    # Three characters would match a large share of all references: no use to an analyst.
    part = reports["files"].reference[3:6]

    assert found(ann, part) == set()


def test_a_registrable_domain_finds_itself_and_all_its_subdomains(ann, reports):
    assert found(ann, "example.org") == references(reports, "apex", "files", "deep")


def test_a_host_finds_itself_and_its_subdomains_but_not_its_parent(ann, reports):
    assert found(ann, "files.example.org") == references(reports, "files", "deep")
    assert found(ann, "FILES.example.org.") == references(reports, "files", "deep")


def test_a_public_suffix_finds_only_a_host_of_that_name(ann, reports):
    assert found(ann, "org") == set()
    assert found(ann, "co.uk") == set()


def test_a_pasted_url_exact_or_defanged_finds_its_report(ann, reports):
    assert found(ann, "https://cdn.files.example.org/c.jpg") == references(reports, "deep")
    assert found(ann, "hxxps://cdn[.]files[.]example[.]org/c.jpg") == references(reports, "deep")
