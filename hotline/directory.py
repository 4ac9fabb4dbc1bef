"""Load and export the directory (providers, partner hotlines, agencies) as YAML or JSON.

A file is applied whole or not at all: every entry is checked first, and any problem refuses
the file with the line of each entry at fault. Entries are matched to existing rows by name and
created or updated; rows missing from the file are left as they are.
"""

import ipaddress
from dataclasses import dataclass, field

import yaml
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.dispatch import Signal

from hotline.models import (
    Agency,
    PartnerHotline,
    Provider,
    ProviderASN,
    ProviderDomain,
    ProviderNetwork,
)
from hotline.url import canonicalize
from hotline.validators import country_code_clean, directory_name

LINE = "__line__"
MAX_ASN = 4_294_967_295
SECTIONS = ("providers", "partners", "agencies")
# What a provider is matched by; each value belongs to one provider.
RANGES = (
    ("domains", ProviderDomain, "suffix"),
    ("networks", ProviderNetwork, "cidr"),
    ("asns", ProviderASN, "asn"),
)


# Sent inside the writing transaction, with ``actor``, ``verb`` and ``data``: the case's audit
# trail records each as an event of no report (reports connects the receiver; hotline never
# imports reports), so auditors see who changed where notices go.
directory_changed = Signal()


def provider_state(provider: Provider) -> dict:
    """What decides where and how notices go: compared before and after a change."""
    return {
        "name": provider.name,
        "country": provider.country,
        "abuse_email": provider.abuse_email,
        "deadline_hours": provider.deadline_hours,
        "active": provider.active,
        "asns": sorted(provider.asns.values_list("asn", flat=True)),
        "domains": sorted(provider.domains.values_list("suffix", flat=True)),
        "networks": sorted(provider.networks.values_list("cidr", flat=True)),
    }


def provider_update_record(*, actor, before: dict | None, provider: Provider) -> None:
    """Record a provider created (``before`` None) or changed, with each changed field's old and
    new value; nothing when nothing changed. Call it in the transaction that wrote the change."""
    after = provider_state(provider)
    changes = {
        name: [before.get(name) if before else None, value]
        for name, value in after.items()
        if before is None or before.get(name) != value
    }
    if changes:
        directory_changed.send(
            sender=Provider,
            actor=actor,
            verb="provider_update" if before else "provider_create",
            data={"provider": provider.pk, "changes": changes},
        )


class DirectoryFileInvalid(Exception):
    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


@dataclass
class LoadResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


class _LineLoader(yaml.SafeLoader):
    """Remembers the line each mapping starts on, for error messages."""

    def construct_mapping(self, node, deep=False):
        mapping = super().construct_mapping(node, deep=deep)
        mapping[LINE] = node.start_mark.line + 1
        return mapping


# --- checking ---------------------------------------------------------------------------------


def _text(entry, key, errors, *, required=True, max_length=200) -> str:
    value = entry.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors.append(f"{key} must be text")
        return ""
    value = value.strip()
    if required and not value:
        errors.append(f"{key} is required")
    elif len(value) > max_length:
        errors.append(f"{key} is longer than {max_length} characters")
    return value


def _name(entry, errors) -> str:
    value = _text(entry, "name", errors)
    try:
        directory_name(value)
    except ValidationError as exc:
        errors.append(f"name {value!r}: {' '.join(exc.messages)}")
        return ""
    return value


def _email(entry, key, errors, *, required) -> str:
    value = _text(entry, key, errors, required=required, max_length=254)
    if value:
        try:
            validate_email(value)
        except ValidationError:
            errors.append(f"{key} {value!r} is not an e-mail address")
    return value


def _country(value, errors, key="country") -> str:
    try:
        return country_code_clean(value)
    except ValidationError:
        errors.append(f"{key} {value!r} is not an ISO 3166-1 country code")
        return ""


def _list(entry, key, errors) -> list:
    value = entry.get(key) or []
    if not isinstance(value, list):
        errors.append(f"{key} must be a list")
        return []
    return value


def _bool(entry, key, errors) -> bool:
    value = entry.get(key, True)
    if not isinstance(value, bool):
        errors.append(f"{key} must be true or false")
        return True
    return value


def _domain(value, errors) -> str:
    if not isinstance(value, str):
        errors.append(f"domain {value!r} must be text")
        return ""
    try:
        host = canonicalize(f"http://{value.strip()}/").host
    except ValidationError as exc:
        errors.append(f"domain {value!r}: {' '.join(exc.messages)}")
        return ""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return host
    errors.append(f"domain {value!r} is an IP address: list it under networks")
    return ""


def _network(value, errors) -> str:
    try:
        return str(ipaddress.ip_network(str(value).strip(), strict=False))
    except ValueError:
        errors.append(f"network {value!r} is not a CIDR range such as 192.0.2.0/24")
        return ""


def _asn(value, errors) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ASN:
        errors.append(f"ASN {value!r} is not a number from 1 to {MAX_ASN}")
        return 0
    return value


def _check_provider(entry, errors) -> dict:
    deadline = entry.get("deadline_hours")
    if deadline is not None and (
        isinstance(deadline, bool) or not isinstance(deadline, int) or deadline < 1
    ):
        errors.append("deadline_hours must be a whole number of hours, at least 1")
        deadline = None
    return {
        "name": _name(entry, errors),
        "country": _country(entry.get("country"), errors),
        "abuse_email": _email(entry, "abuse_email", errors, required=True),
        "domains": sorted({_domain(d, errors) for d in _list(entry, "domains", errors)} - {""}),
        "networks": sorted({_network(n, errors) for n in _list(entry, "networks", errors)} - {""}),
        "asns": sorted({_asn(a, errors) for a in _list(entry, "asns", errors)} - {0}),
        "deadline_hours": deadline,
        "active": _bool(entry, "active", errors),
    }


def _check_partner(entry, errors) -> dict:
    return {
        "name": _name(entry, errors),
        "countries": sorted(
            {_country(c, errors, "countries:") for c in _list(entry, "countries", errors)} - {""}
        ),
        "contact_email": _email(entry, "contact_email", errors, required=False),
        "active": _bool(entry, "active", errors),
    }


def _check_agency(entry, errors) -> dict:
    kind = entry.get("kind")
    if kind not in Agency.Kind.values:
        errors.append(f"kind {kind!r} must be one of: {', '.join(Agency.Kind.values)}")
    return {
        "name": _name(entry, errors),
        "country": _country(entry.get("country"), errors),
        "kind": kind,
        "contact_email": _email(entry, "contact_email", errors, required=False),
        "active": _bool(entry, "active", errors),
    }


CHECKS = {"providers": _check_provider, "partners": _check_partner, "agencies": _check_agency}
FIELDS = {
    "providers": {
        "name",
        "country",
        "abuse_email",
        "domains",
        "networks",
        "asns",
        "deadline_hours",
        "active",
    },
    "partners": {"name", "countries", "contact_email", "active"},
    "agencies": {"name", "country", "kind", "contact_email", "active"},
}


def directory_parse(text: str) -> dict[str, list[dict]]:
    """Check a whole file; raises ``DirectoryFileInvalid`` with every problem and its line."""
    try:
        document = yaml.load(text, Loader=_LineLoader)  # noqa: S506  (a SafeLoader subclass)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        raise DirectoryFileInvalid(
            [f"{where}not valid YAML or JSON ({exc.problem or exc})"]
        ) from None
    if not isinstance(document, dict):
        raise DirectoryFileInvalid([f"the file must be a mapping with {', '.join(SECTIONS)}"])
    problems = [
        f"line {document[LINE]}: unknown section {key!r} (expected {', '.join(SECTIONS)})"
        for key in document
        if key not in (*SECTIONS, LINE)
    ]
    parsed: dict[str, list[dict]] = {}
    for section in SECTIONS:
        entries = document.get(section) or []
        if not isinstance(entries, list):
            problems.append(f"line {document[LINE]}: {section} must be a list")
            continue
        parsed[section] = []
        names: dict[str, int] = {}
        for number, entry in enumerate(entries, start=1):
            if not isinstance(entry, dict):
                problems.append(f"{section} entry {number}: must be a mapping of fields")
                continue
            errors: list[str] = []
            unknown = set(entry) - FIELDS[section] - {LINE}
            if unknown:
                errors.append(f"unknown fields {', '.join(sorted(map(str, unknown)))}")
            clean = CHECKS[section](entry, errors)
            if clean["name"] in names:
                errors.append(f"name {clean['name']!r} already used on line {names[clean['name']]}")
            names[clean["name"]] = entry[LINE]
            label = f"line {entry[LINE]}: {section[:-1] if section != 'agencies' else 'agency'}"
            label += f" {clean['name']!r}" if clean["name"] else ""
            problems.extend(f"{label}: {error}" for error in errors)
            clean[LINE] = entry[LINE]
            parsed[section].append(clean)
    problems.extend(_check_ranges_unique(parsed.get("providers", [])))
    if problems:
        raise DirectoryFileInvalid(problems)
    return parsed


def _check_ranges_unique(providers: list[dict]) -> list[str]:
    """A domain, network or ASN belongs to one provider, in the file and in the database."""
    problems = []
    for kind, model, column in RANGES:
        owner: dict[str, str] = {}
        line: dict[str, int] = {}
        for provider in providers:
            for value in provider[kind]:
                if value in owner and owner[value] != provider["name"]:
                    problems.append(
                        f"line {provider[LINE]}: provider {provider['name']!r}: {value} is also "
                        f"listed for {owner[value]!r}"
                    )
                owner[value] = provider["name"]
                line.setdefault(value, provider[LINE])
        held = (
            model.objects.filter(**{f"{column}__in": owner})
            .exclude(provider__name__in=[p["name"] for p in providers])
            .values_list(column, "provider__name")
        )
        for value, holder in held:
            problems.append(
                f"line {line[value]}: provider {owner[value]!r}: {value} already belongs to "
                f"provider {holder!r}: remove it there first"
            )
    return problems


# --- applying ---------------------------------------------------------------------------------


def _apply(model, values: dict, result: LoadResult, label: str, related=None):
    row = model.objects.filter(name=values["name"]).first()
    created = row is None
    row = row or model(name=values["name"])
    changed = [name for name, value in values.items() if getattr(row, name, None) != value]
    for name, value in values.items():
        setattr(row, name, value)
    if changed or created:
        row.full_clean()
        row.save()
    changed += (related or (lambda _row: []))(row)
    if created:
        result.created.append(f"{label} {row.name}")
    elif changed:
        result.updated.append(f"{label} {row.name} ({', '.join(changed)})")
    else:
        result.unchanged.append(f"{label} {row.name}")



def _ranges_release(providers: list[dict]) -> dict[str, set[str]]:
    """Delete the domains and networks each provider no longer lists, before any is added, so
    one file can move a range from one provider to another. Returns the kinds each lost."""
    released: dict[str, set[str]] = {}
    for entry in providers:
        for kind, model, column in RANGES:
            deleted, _ = (
                model.objects.filter(provider__name=entry["name"])
                .exclude(**{f"{column}__in": entry[kind]})
                .delete()
            )
            if deleted:
                released.setdefault(entry["name"], set()).add(kind)
    return released


def _sync_ranges(provider: Provider, entry: dict, released: set[str]) -> list[str]:
    changed = []
    for kind, model, column in RANGES:
        current = set(model.objects.filter(provider=provider).values_list(column, flat=True))
        for value in set(entry[kind]) - current:
            model(provider=provider, **{column: value}).save()
        if kind in released or current != set(entry[kind]):
            changed.append(kind)
    return changed


@transaction.atomic
def directory_load(text: str, *, actor) -> LoadResult:
    """Load a directory file whole, or nothing; what it created or changed is one audit event."""
    parsed = directory_parse(text)
    result = LoadResult()
    released = _ranges_release(parsed["providers"])
    for entry in parsed["providers"]:
        values = {k: v for k, v in entry.items() if k not in ("domains", "networks", "asns", LINE)}
        _apply(
            Provider,
            values,
            result,
            "provider",
            related=lambda row, e=entry: _sync_ranges(row, e, released.get(e["name"], set())),
        )
    for entry in parsed["partners"]:
        _apply(PartnerHotline, {k: v for k, v in entry.items() if k != LINE}, result, "partner")
    for entry in parsed["agencies"]:
        _apply(Agency, {k: v for k, v in entry.items() if k != LINE}, result, "agency")
    if result.created or result.updated:
        directory_changed.send(
            sender=Provider,
            actor=actor,
            verb="directory_load",
            data={"created": result.created, "updated": result.updated},
        )
    return result


def directory_export() -> dict[str, list[dict]]:
    """The directory in the shape ``directory_load`` reads."""
    providers = Provider.objects.prefetch_related("domains", "networks", "asns")
    return {
        "providers": [
            {
                "name": p.name,
                "country": p.country,
                "abuse_email": p.abuse_email,
                "domains": sorted(d.suffix for d in p.domains.all()),
                "networks": sorted(n.cidr for n in p.networks.all()),
                "asns": sorted(a.asn for a in p.asns.all()),
                "deadline_hours": p.deadline_hours,
                "active": p.active,
            }
            for p in providers
        ],
        "partners": [
            {
                "name": p.name,
                "countries": p.countries,
                "contact_email": p.contact_email,
                "active": p.active,
            }
            for p in PartnerHotline.objects.all()
        ],
        "agencies": [
            {
                "name": a.name,
                "country": a.country,
                "kind": a.kind,
                "contact_email": a.contact_email,
                "active": a.active,
            }
            for a in Agency.objects.all()
        ],
    }
