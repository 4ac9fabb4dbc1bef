"""The directory file: load (all or nothing, with line-level errors), export, and the selectors
that match hosts, addresses and ASes to what it holds."""

import json
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import CommandError, call_command

from hotline.directory import directory_export
from hotline.models import (
    Agency,
    HostRule,
    PartnerHotline,
    Provider,
    ProviderASN,
    ProviderDomain,
    ProviderNetwork,
)
from hotline.selectors import (
    cdn_rule_for,
    domain_match,
    host_rule_for_host,
    network_match,
)

pytestmark = pytest.mark.django_db

DIRECTORY_MODELS = (
    Provider,
    ProviderDomain,
    ProviderNetwork,
    ProviderASN,
    PartnerHotline,
    Agency,
    HostRule,
)

VALID = """\
providers:
  - name: Example Images BV
    country: NL
    abuse_email: abuse@images.example.com
    domains: [images.example.com, Files.Example.ORG]
    networks: [198.51.100.0/24, "2001:db8:500::/48"]
    asns: [64500]
  - name: Example Forum Hosting
    country: nl
    abuse_email: abuse@forum.example.net
    domains: [example.net]
    deadline_hours: 12
partners:
  - name: Demo Partner Hotline
    countries: [DE, AT]
    contact_email: reports@partner.example.de
agencies:
  - name: National Police CSA Unit
    country: NL
    kind: police
    contact_email: csa-unit@police.example.nl
"""


@pytest.fixture
def directory_file(tmp_path):
    def write(text: str, name: str = "directory.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


def load(path) -> list[str]:
    out = StringIO()
    call_command("directory", "load", str(path), stdout=out)
    return out.getvalue().splitlines()


def load_refused(path) -> tuple[str, list[str]]:
    err = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("directory", "load", str(path), stdout=StringIO(), stderr=err)
    return str(caught.value), err.getvalue().splitlines()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in DIRECTORY_MODELS}


def directory_state():
    return counts(), directory_export()


# --- loading valid files ----------------------------------------------------------------------


def assert_valid_directory_loaded():
    images = Provider.objects.get(name="Example Images BV")
    asns = list(images.asns.values_list("asn", flat=True))
    assert (images.country, images.abuse_email, asns) == (
        "NL",
        "abuse@images.example.com",
        [64500],
    )
    assert images.deadline_hours is None and images.active
    assert sorted(images.domains.values_list("suffix", flat=True)) == [
        "files.example.org",
        "images.example.com",
    ]
    assert sorted(images.networks.values_list("cidr", flat=True)) == [
        "198.51.100.0/24",
        "2001:db8:500::/48",
    ]
    forum = Provider.objects.get(name="Example Forum Hosting")
    assert (forum.country, forum.deadline_hours) == ("NL", 12)
    partner = PartnerHotline.objects.get()
    assert (partner.name, partner.countries) == ("Demo Partner Hotline", ["AT", "DE"])
    agency = Agency.objects.get()
    assert (agency.name, agency.kind, agency.country) == (
        "National Police CSA Unit",
        "police",
        "NL",
    )


def test_a_yaml_file_creates_providers_partners_and_agencies(directory_file):
    lines = load(directory_file(VALID))

    assert lines == [
        "created provider Example Images BV",
        "created provider Example Forum Hosting",
        "created partner Demo Partner Hotline",
        "created agency National Police CSA Unit",
        "4 created, 0 updated, 0 unchanged.",
    ]
    assert counts() == {
        "Provider": 2,
        "ProviderDomain": 3,
        "ProviderNetwork": 2,
        "ProviderASN": 1,
        "PartnerHotline": 1,
        "Agency": 1,
        "HostRule": 0,
    }
    assert_valid_directory_loaded()


def test_a_json_file_loads_the_same(directory_file):
    path = directory_file(json.dumps(yaml.safe_load(VALID), indent=2), "directory.json")

    assert load(path)[-1] == "4 created, 0 updated, 0 unchanged."
    assert_valid_directory_loaded()


def test_loading_the_same_file_again_changes_nothing(directory_file):
    path = directory_file(VALID)
    load(path)
    before = directory_state()

    assert load(path) == ["0 created, 0 updated, 4 unchanged."]
    assert directory_state() == before


@pytest.mark.parametrize(
    ("old", "new", "line"),
    [
        (
            "abuse@images.example.com",
            "takedown@images.example.com",
            "updated provider Example Images BV (abuse_email)",
        ),
        (
            "[images.example.com, Files.Example.ORG]",
            "[images.example.com]",
            "updated provider Example Images BV (domains)",
        ),
        (
            "asns: [64500]",
            "asns: [64500, 64501]\n    active: false",
            "updated provider Example Images BV (active, asns)",
        ),
        (
            "deadline_hours: 12",
            "deadline_hours: 24",
            "updated provider Example Forum Hosting (deadline_hours)",
        ),
        (
            "countries: [DE, AT]",
            "countries: [DE]",
            "updated partner Demo Partner Hotline (countries)",
        ),
        ("kind: police", "kind: regulator", "updated agency National Police CSA Unit (kind)"),
    ],
)
def test_a_changed_entry_is_updated_and_says_what_changed(directory_file, old, new, line):
    load(directory_file(VALID))

    lines = load(directory_file(VALID.replace(old, new)))

    assert lines == [line, "0 created, 1 updated, 3 unchanged."]


def test_rows_missing_from_the_file_are_kept(directory_file):
    load(directory_file(VALID))

    load(
        directory_file(
            "agencies:\n  - name: Online Regulator\n    country: NL\n    kind: regulator\n"
        )
    )

    assert counts()["Provider"] == 2
    assert set(Agency.objects.values_list("name", flat=True)) == {
        "National Police CSA Unit",
        "Online Regulator",
    }


def test_one_file_can_move_a_domain_and_a_network_to_another_provider(directory_file):
    load(directory_file(VALID))
    moved = VALID.replace(
        "domains: [images.example.com, Files.Example.ORG]\n"
        '    networks: [198.51.100.0/24, "2001:db8:500::/48"]',
        "domains: [images.example.com]\n    networks: [198.51.100.0/24]",
    ).replace(
        "domains: [example.net]",
        'domains: [example.net, files.example.org]\n    networks: ["2001:db8:500::/48"]',
    )

    lines = load(directory_file(moved))

    assert lines == [
        "updated provider Example Images BV (domains, networks)",
        "updated provider Example Forum Hosting (domains, networks)",
        "0 created, 2 updated, 2 unchanged.",
    ]
    assert domain_match("cdn.files.example.org").provider.name == "Example Forum Hosting"
    assert {a: p.name for a, p in network_match(["2001:db8:500::7", "198.51.100.7"]).items()} == {
        "2001:db8:500::7": "Example Forum Hosting",
        "198.51.100.7": "Example Images BV",
    }


def test_the_demo_directory_loads(directory_file):
    path = Path(settings.BASE_DIR) / "hotline" / "fixtures" / "demo-directory.yaml"

    assert load(path)[-1] == "12 created, 0 updated, 0 unchanged."
    assert load(path) == ["0 created, 0 updated, 12 unchanged."]
    webhooks = Provider.objects.get(name="Voorbeeld Hosting BV")
    assert (webhooks.channel, webhooks.language) == ("both", "nl")
    cdn = cdn_rule_for("203.0.113.9", 64510)
    assert (cdn.kind, cdn.provider.name) == ("cdn", "Example CDN")
    assert host_rule_for_host("dl.share.example.com").provider.name == "Share Example GmbH"


# --- refusing invalid files -------------------------------------------------------------------

GOOD_PROVIDER = """\
providers:
  - name: Good Host
    country: NL
    abuse_email: abuse@good.example
    domains: [good.example]
    networks: [192.0.2.0/24]
"""
GOOD_REST = """\
partners:
  - name: Good Partner
    countries: [BE]
agencies:
  - name: Good Police
    country: NL
    kind: police
"""


def with_bad_provider(*lines: str) -> str:
    """The good entries, and a second provider (starting on line 7) made of these lines."""
    return GOOD_PROVIDER + "  - " + "\n    ".join(lines) + "\n" + GOOD_REST


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            with_bad_provider("name: Bad Mail", "country: NL", "abuse_email: abuse-at-bad"),
            "line 7: provider 'Bad Mail': abuse_email 'abuse-at-bad' is not an e-mail address",
        ),
        (
            with_bad_provider(
                "name: Bad Country", "country: Netherlands", "abuse_email: a@b.example"
            ),
            "line 7: provider 'Bad Country': country 'Netherlands' is not an ISO 3166-1",
        ),
        (
            with_bad_provider(
                "name: Bad Net",
                "country: NL",
                "abuse_email: a@b.example",
                "networks: [10.0.0.0/33]",
            ),
            "line 7: provider 'Bad Net': network '10.0.0.0/33' is not a CIDR range",
        ),
        (
            with_bad_provider(
                "name: Typo", "country: NL", "abuse_email: a@b.example", "domain: typo.example"
            ),
            "line 7: provider 'Typo': unknown fields domain",
        ),
        (
            with_bad_provider("name: Good Host", "country: DE", "abuse_email: a@b.example"),
            "line 7: provider 'Good Host': name 'Good Host' already used on line 2",
        ),
        (
            with_bad_provider(
                "name: Sharer", "country: DE", "abuse_email: a@b.example", "domains: [GOOD.example]"
            ),
            "line 7: provider 'Sharer': good.example is also listed for 'Good Host'",
        ),
        (
            with_bad_provider(
                "name: Net Sharer",
                "country: DE",
                "abuse_email: a@b.example",
                "networks: [192.0.2.9/24]",
            ),
            "line 7: provider 'Net Sharer': 192.0.2.0/24 is also listed for 'Good Host'",
        ),
        (
            with_bad_provider(
                "name: Slow", "country: DE", "abuse_email: a@b.example", "deadline_hours: 0"
            ),
            "line 7: provider 'Slow': deadline_hours must be a whole number of hours, at least 1",
        ),
        (
            with_bad_provider(
                "name: Ip Domain", "country: DE", "abuse_email: a@b.example", "domains: [8.8.8.8]"
            ),
            "line 7: provider 'Ip Domain': domain '8.8.8.8' is an IP address: list it under",
        ),
        (
            with_bad_provider(
                "name: Suffix", "country: GB", "abuse_email: a@b.example", "domains: [Co.UK]"
            ),
            "line 7: provider 'Suffix': co.uk is a public suffix: list the provider's own "
            "domain, e.g. example.co.uk",
        ),
        (
            GOOD_PROVIDER + "host_rules:\n  - kind: cdn\n    provider: Good Host\n"
            "    domain: good.example\n",
            "line 8: host rule 'good.example': a cdn rule matches by exactly one asn or cidr, "
            "not domain",
        ),
        (
            GOOD_PROVIDER + "host_rules:\n  - kind: platform\n    provider: Good Host\n"
            "    domain: good.example\n    asn: 64500\n",
            "line 8: host rule 'good.example': a platform rule matches by exactly one domain, "
            "not domain and asn",
        ),
        (
            GOOD_PROVIDER + "host_rules:\n  - kind: host\n    provider: Good Host\n"
            "    domain: github.io.\n  - kind: platform\n    provider: Good Host\n"
            "    domain: GitHub.io\n",
            "line 11: host rule 'github.io': a rule for 'github.io' already used on line 8",
        ),
        (
            GOOD_PROVIDER + "host_rules:\n  - kind: platform\n    provider: Good Host\n"
            "    domain: com.au\n",
            "line 8: host rule: com.au is a public suffix",
        ),
        (
            GOOD_PROVIDER + "host_rules:\n  - kind: cdn\n    provider: Nobody\n    asn: 64511\n",
            "line 8: host rule 'AS64511': provider 'Nobody' is neither in this file nor in the "
            "directory",
        ),
        (
            GOOD_PROVIDER + "host_rules:\n  - kind: proxy\n    provider: Good Host\n"
            "    cidr: 192.0.2.0/33\n",
            "line 8: host rule: kind 'proxy' must be one of: cdn, platform, host",
        ),
        (
            GOOD_PROVIDER + "partners:\n  - name: Bad Partner\n    countries: [DE, Germany]\n",
            "line 8: partner 'Bad Partner': countries: 'Germany' is not an ISO 3166-1",
        ),
        (
            GOOD_PROVIDER + "agencies:\n  - name: FBI\n    country: US\n    kind: spies\n",
            "line 8: agency 'FBI': kind 'spies' must be one of: police, regulator",
        ),
        (
            GOOD_PROVIDER
            + "  - name: Broken\n    domains: [a.example, b.example\n    country: NL\n",
            "line 9: not valid YAML or JSON",
        ),
        (
            GOOD_PROVIDER + "  - name: Indented\n   country: NL\n",
            "line 8: not valid YAML or JSON",
        ),
    ],
    ids=[
        "bad e-mail",
        "bad country",
        "bad CIDR",
        "unknown field",
        "duplicate name",
        "domain for two providers",
        "network for two providers",
        "bad deadline",
        "IP as domain",
        "public suffix as domain",
        "cdn rule by domain",
        "platform rule by domain and asn",
        "host rule twice",
        "host rule for a public suffix",
        "host rule for an unknown provider",
        "host rule of an unknown kind",
        "bad partner country",
        "bad agency kind",
        "YAML syntax (unclosed list)",
        "YAML syntax (indentation)",
    ],
)
def test_an_invalid_file_is_refused_whole_with_the_line_of_the_problem(
    directory_file, text, problem
):
    before = directory_state()

    message, errors = load_refused(directory_file(text))

    assert [error for error in errors if error.startswith(problem)], errors
    assert message.endswith("problem(s); nothing was loaded.")
    assert directory_state() == before  # not even the good entries


def test_an_invalid_json_file_names_the_line(directory_file):
    text = json.dumps(
        {
            "providers": [
                {"name": "Good Host", "country": "NL", "abuse_email": "a@good.example"},
                {"name": "Bad Host", "country": "NLD", "abuse_email": "a@bad.example"},
            ]
        },
        indent=2,
    )

    _, errors = load_refused(directory_file(text, "directory.json"))

    assert errors == [
        "line 8: provider 'Bad Host': country 'NLD' is not an ISO 3166-1 country code"
    ]
    assert counts()["Provider"] == 0


def test_every_problem_of_a_file_is_listed_with_its_line(directory_file):
    text = with_bad_provider(
        "name: Many Problems",
        "country: X",
        "abuse_email: nope",
        "networks: [300.1.2.3/8]",
        "colour: red",
    ) + ("  - name: Good Police\n    country: NL\n    kind: police\n")

    message, errors = load_refused(directory_file(text))

    assert errors == [
        "line 7: provider 'Many Problems': unknown fields colour",
        "line 7: provider 'Many Problems': country 'X' is not an ISO 3166-1 country code",
        "line 7: provider 'Many Problems': abuse_email 'nope' is not an e-mail address",
        "line 7: provider 'Many Problems': network '300.1.2.3/8' is not a CIDR range such as "
        "192.0.2.0/24",
        "line 19: agency 'Good Police': name 'Good Police' already used on line 16",
    ]
    assert message.endswith(": 5 problem(s); nothing was loaded.")


def test_a_domain_held_by_a_provider_not_in_the_file_is_refused(directory_file):
    load(directory_file(VALID))
    before = directory_state()
    text = GOOD_PROVIDER.replace(
        "[good.example]", "[good.example, cdn.images.example.com, images.example.com]"
    )

    _, errors = load_refused(directory_file(text))

    assert errors == [
        "line 2: provider 'Good Host': images.example.com already belongs to provider "
        "'Example Images BV': remove it there first"
    ]
    assert directory_state() == before
    assert not Provider.objects.filter(name="Good Host").exists()


@pytest.mark.parametrize(
    "text", ["- just\n- a list\n", "providers: a string\n", "", "hotlines: []\n"]
)
def test_a_file_of_the_wrong_shape_is_refused(directory_file, text):
    message, errors = load_refused(directory_file(text))

    assert errors
    assert "nothing was loaded" in message
    assert counts() == dict.fromkeys(counts(), 0)


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match=r"Cannot read .*missing.yaml: No such file"):
        call_command("directory", "load", str(tmp_path / "missing.yaml"))


# --- export -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "name"), [("yaml", "export.yaml"), ("json", "export.json")])
def test_an_export_loads_back_unchanged(directory_file, tmp_path, fmt, name):
    load(directory_file(VALID))
    before = directory_state()
    path = tmp_path / name

    call_command("directory", "export", "--format", fmt, "-o", str(path), stdout=StringIO())

    assert load(path) == ["0 created, 0 updated, 4 unchanged."]
    assert directory_state() == before
    exported = yaml.safe_load(path.read_text())
    assert [p["name"] for p in exported["providers"]] == [
        "Example Forum Hosting",
        "Example Images BV",
    ]


def test_export_to_standard_output_is_the_loadable_yaml(directory_file):
    load(directory_file(VALID))
    out = StringIO()

    call_command("directory", "export", stdout=out)

    data = yaml.safe_load(out.getvalue())
    images = next(p for p in data["providers"] if p["name"] == "Example Images BV")
    assert images["domains"] == ["files.example.org", "images.example.com"]
    assert images["networks"] == ["198.51.100.0/24", "2001:db8:500::/48"]
    assert data["partners"][0]["countries"] == ["AT", "DE"]


# --- host rules in the file -------------------------------------------------------------------

RULES = """\
host_rules:
  - kind: cdn
    provider: Example Forum Hosting
    asn: 64510
    note: reverse proxy
  - kind: cdn
    provider: Example Forum Hosting
    cidr: 203.0.113.7/24
  - kind: platform
    provider: Example Images BV
    domain: Share.Example.COM
  - kind: host
    provider: New Host
    domain: blog.example.org
"""
NEW_HOST = """\
  - name: New Host
    country: FR
    abuse_email: abuse@newhost.example
"""


def with_rules(rules: str = RULES) -> str:
    return VALID.replace("partners:", NEW_HOST + "partners:") + rules


def test_host_rules_load_with_a_provider_made_by_the_same_file(directory_file):
    lines = load(directory_file(with_rules()))

    assert lines[-5:] == [
        "created host rule AS64510",
        "created host rule 203.0.113.0/24",
        "created host rule share.example.com",
        "created host rule blog.example.org",
        "9 created, 0 updated, 0 unchanged.",
    ]
    rules = {
        (r.kind, r.domain, r.asn, r.cidr): (r.provider.name, r.note)
        for r in HostRule.objects.select_related("provider")
    }
    assert rules == {
        ("cdn", "", 64510, ""): ("Example Forum Hosting", "reverse proxy"),
        ("cdn", "", None, "203.0.113.0/24"): ("Example Forum Hosting", ""),
        ("platform", "share.example.com", None, ""): ("Example Images BV", ""),
        ("host", "blog.example.org", None, ""): ("New Host", ""),
    }


def test_a_changed_host_rule_is_updated_and_audited_in_the_load_event(directory_file):
    from reports.models import Event

    load(directory_file(with_rules()))
    changed = with_rules(
        RULES.replace("provider: Example Images BV", "provider: Example Forum Hosting")
    )

    lines = load(directory_file(changed))

    assert lines == [
        "updated host rule share.example.com (provider)",
        "0 created, 1 updated, 8 unchanged.",
    ]
    rule = HostRule.objects.get(domain="share.example.com")
    assert rule.provider.name == "Example Forum Hosting"
    event = Event.objects.filter(verb="directory_load").last()
    assert event.data == {"created": [], "updated": ["host rule share.example.com (provider)"]}


def test_a_file_with_a_bad_host_rule_loads_nothing(directory_file):
    _, errors = load_refused(directory_file(with_rules(RULES + "  - kind: cdn\n    asn: 0\n")))

    assert errors == [
        "line 39: host rule: provider is required",
        "line 39: host rule: ASN 0 is not a number from 1 to 4294967295",
    ]
    assert counts() == dict.fromkeys(counts(), 0)


def test_host_rules_export_and_load_back_unchanged(directory_file, tmp_path):
    load(directory_file(with_rules()))
    before = directory_state()
    path = tmp_path / "export.yaml"

    call_command("directory", "export", "-o", str(path), stdout=StringIO())

    assert load(path) == ["0 created, 0 updated, 9 unchanged."]
    assert directory_state() == before
    assert yaml.safe_load(path.read_text())["host_rules"] == [
        {"kind": "cdn", "provider": "Example Forum Hosting", "cidr": "203.0.113.0/24", "note": ""},
        {"kind": "cdn", "provider": "Example Forum Hosting", "asn": 64510, "note": "reverse proxy"},
        {"kind": "host", "provider": "New Host", "domain": "blog.example.org", "note": ""},
        {
            "kind": "platform",
            "provider": "Example Images BV",
            "domain": "share.example.com",
            "note": "",
        },
    ]


def test_probe_rules_load_by_domain_or_for_all_a_provider_hosts(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text(
        GOOD_PROVIDER + "host_rules:\n"
        "  - kind: no_probes\n    provider: Good Host\n"
        "  - kind: no_probes\n    provider: Good Host\n    domain: private.good.example\n"
        "  - kind: removal_page\n    provider: Good Host\n    domain: good.example\n"
        "    removal_path: /removed\n"
        "  - kind: platform\n    provider: Good Host\n    domain: good.example\n"
    )
    load(path)
    rules = {
        (rule.kind, rule.domain, rule.removal_path)
        for rule in HostRule.objects.filter(provider__name="Good Host")
    }
    assert rules == {
        ("no_probes", "", ""),
        ("no_probes", "private.good.example", ""),
        ("removal_page", "good.example", "/removed"),
        ("platform", "good.example", ""),
    }
    load(path)  # loading it again changes nothing
    assert HostRule.objects.count() == 4
    exported = [r for r in directory_export()["host_rules"] if r["kind"] == "removal_page"]
    assert exported[0]["removal_path"] == "/removed"


def test_a_removal_page_rule_needs_its_path(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text(
        GOOD_PROVIDER
        + "host_rules:\n  - kind: removal_page\n    provider: Good Host\n    domain: good.example\n"
    )
    message, lines = load_refused(path)
    assert any("removal_path is required" in line for line in [*lines, message])
