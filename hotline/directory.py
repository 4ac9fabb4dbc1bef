"""Load and export the directory (providers, partner hotlines, agencies, host rules) as YAML or
JSON, and the services that change it: provider candidates approved or rejected.

A file is applied whole or not at all: every entry is checked first, and any problem refuses
the file with the line of each entry at fault. Entries are matched to existing rows by name (a
host rule by its domain, ASN or range) and created or updated; rows missing from the file are
left as they are.
"""

import ipaddress
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import yaml
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.dispatch import Signal
from django.utils import timezone

from hotline import outside
from hotline.actors import Actor
from hotline.addresses import non_public_reason
from hotline.errors import DomainError
from hotline.integrations.webhooks import webhook_secret_generate
from hotline.models import (
    NOTICE_LANGUAGES,
    Agency,
    DeliveryChannels,
    HostRule,
    PartnerHotline,
    Provider,
    ProviderASN,
    ProviderCandidate,
    ProviderDomain,
    ProviderNetwork,
)
from hotline.secrets import secret_encrypt
from hotline.validators import country_code_clean, directory_name, domain_suffix_clean

LINE = "__line__"
MAX_ASN = 4_294_967_295
SECTIONS = ("providers", "partners", "agencies", "host_rules")
LANGUAGES = [code for code, _name in NOTICE_LANGUAGES]
SINGULAR = {
    "providers": "provider",
    "partners": "partner",
    "agencies": "agency",
    "host_rules": "host rule",
}
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
        "escalation_email": provider.escalation_email,
        "channel": provider.channel,
        "webhook_url": provider.webhook_url,
        "language": provider.language,
        "deadline_hours": provider.deadline_hours,
        "active": provider.active,
        "asns": sorted(provider.asns.values_list("asn", flat=True)),
        "domains": sorted(provider.domains.values_list("suffix", flat=True)),
        "networks": sorted(provider.networks.values_list("cidr", flat=True)),
    }


def webhook_url_problem(url: str) -> str | None:
    """What is wrong with a provider's webhook endpoint, as a phrase; None if nothing. HTTPS only
    in production (plain HTTP outside it, for the sandbox's stand-ins), and never an address
    literal that is not on the public internet (the documentation ranges count as public in the
    sandbox)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 (raises on a port that is not a number)
    except ValueError:
        return "is not a URL"
    schemes = ("https",) if settings.PRODUCTION else ("https", "http")
    if parts.scheme not in schemes:
        return "must start with https://" if settings.PRODUCTION else "must be an http(s) URL"
    if not host:
        return "has no host"
    if parts.username is not None or parts.password is not None:
        return "must not carry a user name or password (the signature authenticates)"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None  # a name: its addresses are checked at every delivery
    reason = non_public_reason(address, documentation_admitted=outside.documentation_admitted())
    return f"names {address}, {reason}" if reason else None


def provider_channel_problems(channel: str, webhook_url: str) -> dict[str, str]:
    """Problems with how a provider is reached, by field: a webhook channel needs an endpoint,
    and the endpoint must be one the service may call."""
    problems = {}
    if channel not in DeliveryChannels.values:
        problems["channel"] = f"must be one of: {', '.join(DeliveryChannels.values)}"
    elif channel != DeliveryChannels.EMAIL and not webhook_url:
        problems["webhook_url"] = f"is required when the channel is {channel}"
    if webhook_url:
        problem = webhook_url_problem(webhook_url)
        if problem:
            problems["webhook_url"] = problem
    return problems


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


def host_rule_state(rule: HostRule) -> dict:
    """What a host rule decides: compared before and after a change."""
    return {
        "kind": rule.kind,
        "provider": rule.provider.name,
        "domain": rule.domain,
        "asn": rule.asn,
        "cidr": rule.cidr,
        "removal_path": rule.removal_path,
        "note": rule.note,
    }


def host_rule_record(*, actor, verb: str, rule: HostRule, before: dict | None = None) -> None:
    """Record a host rule created, changed (``before`` its earlier state; nothing when nothing
    changed) or about to be deleted (``host_rule_create``/``_update``/``_delete``). Call it in
    the writing transaction."""
    state = host_rule_state(rule)
    if verb == "host_rule_update":
        changes = {
            name: [before[name], value] for name, value in state.items() if before[name] != value
        }
        if not changes:
            return
        data = {"rule": rule.pk, "changes": changes}
    else:
        data = {"rule": rule.pk, "state": state}
    directory_changed.send(sender=HostRule, actor=actor, verb=verb, data=data)


def host_rule_target_problem(kind: str, *, domain: str, asn: int | None, cidr: str) -> str | None:
    """What is wrong with what a rule of this kind matches by, if anything: a CDN is matched by
    one ASN or one range, the others by one domain; "no probes" without one means everything
    its provider hosts."""
    targets = (("domain", domain), ("asn", asn), ("cidr", cidr))
    given = [name for name, value in targets if value not in (None, "")]
    allowed = ("asn", "cidr") if kind == HostRule.Kind.CDN else ("domain",)
    if len(given) == 1 and given[0] in allowed:
        return None
    if kind == HostRule.Kind.NO_PROBES and not given:
        return None
    problem = f"a {kind} rule matches by exactly one {' or '.join(allowed)}"
    return problem + (f", not {' and '.join(given)}" if given else "")


def host_rule_key(rule: dict) -> str:
    """How a rule of a directory file is named in messages: its domain, range or AS."""
    target = rule["domain"] or rule["cidr"] or (f"AS{rule['asn']}" if rule["asn"] else "")
    if not target and rule["kind"] == HostRule.Kind.NO_PROBES and rule["provider"]:
        return f"everything {rule['provider']} hosts"
    return target


def host_rule_add(*, actor, provider_id: int, domain: str, note: str = "") -> HostRule:
    """A host rule from a report's page: reports for this domain (and its subdomains) go to
    this provider. It only suggests the hosting; it never assesses anything. Audited."""
    try:
        domain = domain_suffix_clean(domain)
    except ValidationError as error:
        raise DomainError(" ".join(error.messages)) from None
    with transaction.atomic():
        provider = Provider.objects.filter(pk=provider_id, active=True).first()
        if provider is None:
            raise DomainError("That provider does not exist or is not active.")
        existing = (
            HostRule.objects.filter(
                domain=domain, kind__in=[HostRule.Kind.HOST, HostRule.Kind.PLATFORM]
            )
            .select_related("provider")
            .first()
        )
        if existing is not None:
            raise DomainError(
                f"{domain} already has a rule ({existing.get_kind_display()}, "
                f"{existing.provider.name}): edit that one."
            )
        rule = HostRule.objects.create(
            kind=HostRule.Kind.HOST, provider=provider, domain=domain, note=note.strip()[:500]
        )
        host_rule_record(actor=actor, verb="host_rule_create", rule=rule)
    return rule


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
        return domain_suffix_clean(value)
    except ValidationError as exc:
        errors.extend(exc.messages)
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
        **_check_delivery(entry, errors),
    }


def _check_delivery(entry, errors) -> dict:
    """How the provider is reached; the webhook secret is never in a file (it is made in the
    admin and shown once)."""
    language = entry.get("language", "en")
    if language not in LANGUAGES:
        errors.append(f"language {language!r} must be one of: {', '.join(LANGUAGES)}")
    clean = {
        "channel": entry.get("channel", DeliveryChannels.EMAIL),
        "escalation_email": _email(entry, "escalation_email", errors, required=False),
        "webhook_url": _text(entry, "webhook_url", errors, required=False, max_length=500),
        "language": language,
    }
    for name, problem in provider_channel_problems(clean["channel"], clean["webhook_url"]).items():
        value = clean[name]
        errors.append(f"{name} {value!r} {problem}" if value else f"{name} {problem}")
    return clean


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


def _check_host_rule(entry, errors) -> dict:
    kind = entry.get("kind")
    if kind not in HostRule.Kind.values:
        errors.append(f"kind {kind!r} must be one of: {', '.join(HostRule.Kind.values)}")
    clean = {
        "kind": kind,
        "provider": _text(entry, "provider", errors),
        "domain": _domain(entry["domain"], errors) if entry.get("domain") is not None else "",
        "asn": (_asn(entry["asn"], errors) or None) if entry.get("asn") is not None else None,
        "cidr": _network(entry["cidr"], errors) if entry.get("cidr") is not None else "",
        "removal_path": _text(
            entry,
            "removal_path",
            errors,
            required=kind == HostRule.Kind.REMOVAL_PAGE,
            max_length=200,
        ),
        "note": _text(entry, "note", errors, required=False, max_length=500),
    }
    if kind in HostRule.Kind.values:
        problem = host_rule_target_problem(
            kind, domain=entry.get("domain"), asn=entry.get("asn"), cidr=entry.get("cidr")
        )
        if problem:
            errors.append(problem)
    return clean


CHECKS = {
    "providers": _check_provider,
    "partners": _check_partner,
    "agencies": _check_agency,
    "host_rules": _check_host_rule,
}
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
        "channel",
        "escalation_email",
        "webhook_url",
        "language",
    },
    "partners": {"name", "countries", "contact_email", "active"},
    "agencies": {"name", "country", "kind", "contact_email", "active"},
    "host_rules": {"kind", "provider", "domain", "asn", "cidr", "removal_path", "note"},
}


RULE_PURPOSE = {
    HostRule.Kind.HOST: "hosting",
    HostRule.Kind.PLATFORM: "hosting",
    HostRule.Kind.CDN: "hosting",
    HostRule.Kind.NO_PROBES: "no probes",
    HostRule.Kind.REMOVAL_PAGE: "removal page",
}


def _entry_key(section: str, clean: dict) -> str:
    if section == "host_rules":
        return host_rule_key(clean)
    return clean["name"]


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
        keys: dict[str, int] = {}
        for number, entry in enumerate(entries, start=1):
            if not isinstance(entry, dict):
                problems.append(f"{section} entry {number}: must be a mapping of fields")
                continue
            errors: list[str] = []
            unknown = set(entry) - FIELDS[section] - {LINE}
            if unknown:
                errors.append(f"unknown fields {', '.join(sorted(map(str, unknown)))}")
            clean = CHECKS[section](entry, errors)
            key = _entry_key(section, clean)
            # One rule per target and purpose: who hosts it (host, platform, CDN), checks.
            unique = (RULE_PURPOSE.get(clean.get("kind")), key) if section == "host_rules" else key
            if key and unique in keys:
                what = "name " if section != "host_rules" else "a rule for "
                errors.append(f"{what}{key!r} already used on line {keys[unique]}")
            keys.setdefault(unique, entry[LINE])
            label = f"line {entry[LINE]}: {SINGULAR[section]}" + (f" {key!r}" if key else "")
            problems.extend(f"{label}: {error}" for error in errors)
            clean[LINE] = entry[LINE]
            parsed[section].append(clean)
    problems.extend(_check_ranges_unique(parsed.get("providers", [])))
    problems.extend(
        _check_rule_providers(parsed.get("host_rules", []), parsed.get("providers", []))
    )
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


def _check_rule_providers(rules: list[dict], providers: list[dict]) -> list[str]:
    """A host rule's provider is in the file or already in the directory."""
    named = {rule["provider"] for rule in rules if rule["provider"]}
    known = {p["name"] for p in providers} | set(
        Provider.objects.filter(name__in=named).values_list("name", flat=True)
    )
    return [
        f"line {rule[LINE]}: host rule {host_rule_key(rule)!r}: provider {rule['provider']!r} is "
        f"neither in this file nor in the directory"
        for rule in rules
        if rule["provider"] and rule["provider"] not in known
    ]


# --- applying ---------------------------------------------------------------------------------


def _apply(model, match: dict, values: dict, result: LoadResult, title: str, related=None):
    """Create or update the row ``match`` finds with ``values``; say which fields changed."""
    row = model.objects.filter(**match).first()
    created = row is None
    row = row or model(**match)
    changed = [name for name, value in values.items() if getattr(row, name, None) != value]
    for name, value in values.items():
        setattr(row, name, value)
    if changed or created:
        row.full_clean()
        row.save()
    changed += (related or (lambda _row: []))(row)
    if created:
        result.created.append(title)
    elif changed:
        result.updated.append(f"{title} ({', '.join(changed)})")
    else:
        result.unchanged.append(title)


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
            {"name": entry["name"]},
            values,
            result,
            f"provider {entry['name']}",
            related=lambda row, e=entry: _sync_ranges(row, e, released.get(e["name"], set())),
        )
    for section, model in (("partners", PartnerHotline), ("agencies", Agency)):
        for entry in parsed[section]:
            values = {k: v for k, v in entry.items() if k != LINE}
            _apply(
                model,
                {"name": entry["name"]},
                values,
                result,
                f"{SINGULAR[section]} {entry['name']}",
            )
    for entry in parsed["host_rules"]:
        provider = Provider.objects.get(name=entry["provider"])
        match = {"kind": entry["kind"]} | {
            key: entry[key] for key in ("domain", "asn", "cidr") if entry[key]
        }
        if len(match) == 1:  # "no probes" for everything the provider hosts
            match |= {"domain": "", "provider": provider}
        values = {
            "provider": provider,
            "removal_path": entry["removal_path"],
            "note": entry["note"],
        }
        _apply(HostRule, match, values, result, f"host rule {host_rule_key(entry)}")
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
                "channel": p.channel,
                "escalation_email": p.escalation_email,
                "webhook_url": p.webhook_url,
                "language": p.language,
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
        "host_rules": [
            {
                "kind": rule.kind,
                "provider": rule.provider.name,
                **{
                    key: getattr(rule, key)
                    for key in ("domain", "asn", "cidr", "removal_path")
                    if getattr(rule, key)
                },
                "note": rule.note,
            }
            for rule in HostRule.objects.select_related("provider").order_by(
                "kind", "domain", F("asn").asc(nulls_first=True), "cidr"
            )
        ],
    }


# --- the webhook secret -----------------------------------------------------------------------


@transaction.atomic
def provider_webhook_secret_rotate(provider_id: int, *, actor) -> str:
    """A new signing secret for the provider's webhook, stored encrypted; returned for the one
    time it is shown. The audit event says that it was replaced, never what it is."""
    provider = Provider.objects.select_for_update().filter(pk=provider_id).first()
    if provider is None:
        raise DomainError(f"There is no provider {provider_id}.")
    secret = webhook_secret_generate()
    replaced = bool(provider.webhook_secret)
    provider.webhook_secret = secret_encrypt(secret)
    provider.save(update_fields=["webhook_secret", "updated_at"])
    directory_changed.send(
        sender=Provider,
        actor=actor,
        verb="provider_webhook_secret_rotate",
        data={"provider": provider.pk, "replaced": replaced},
    )
    return secret


# --- provider candidates ----------------------------------------------------------------------

CANDIDATE_FIELDS = ("name", "country", "abuse_email", "abuse_note", "networks", "asn", "source_url")


def _candidate_name(name: str, handle: str) -> str:
    """Registry text as a directory name: one line of visible text, at most 200 characters."""
    # Control, format (bidirectional controls among them) and separator characters become spaces.
    visible = "".join(" " if unicodedata.category(char)[0] in "CZ" else char for char in name)
    return " ".join(visible.split())[:200].strip() or handle[:200]


def _valid_or_blank(check, value) -> str:
    try:
        return check(value)
    except ValidationError:
        return ""


def _email_clean(value: str) -> str:
    value = value.strip()
    validate_email(value)
    if len(value) > 254:
        raise ValidationError("longer than an e-mail field holds")
    return value


def _networks_clean(networks: list[str]) -> list[str]:
    clean = set()
    for network in networks:
        try:
            clean.add(str(ipaddress.ip_network(str(network).strip(), strict=False)))
        except ValueError:
            continue  # registry data: what is not a range is left out
    return sorted(clean)


def candidate_state(candidate: ProviderCandidate) -> dict:
    """What a supervisor decides on: recorded when a candidate is proposed or refreshed."""
    return {name: getattr(candidate, name) for name in CANDIDATE_FIELDS}


@transaction.atomic
def candidate_propose(
    *,
    network_handle: str,
    name: str,
    country: str,
    abuse_email: str,
    abuse_note: str,
    networks: list[str],
    asn: int | None,
    source_url: str,
    looked_up_at,
) -> ProviderCandidate:
    """The candidate for a registry network the directory does not know, by its handle: created,
    or (while pending) refreshed with what the registry says now. A decided one is returned as it
    is. Registry text that is not valid is left blank (a supervisor fills it in on approval)."""
    handle = network_handle.strip()
    fresh = {
        "name": _candidate_name(name, handle),
        "country": _valid_or_blank(country_code_clean, country),
        "abuse_email": _valid_or_blank(_email_clean, abuse_email),
        "abuse_note": " ".join(abuse_note.split())[:300],
        "networks": _networks_clean(networks),
        "asn": asn if isinstance(asn, int) and 1 <= asn <= MAX_ASN else None,
        "source_url": source_url[:500],
        "looked_up_at": looked_up_at,
    }
    candidate, created = ProviderCandidate.objects.select_for_update().get_or_create(
        network_handle=handle, defaults=fresh
    )
    actor = Actor.system("hosting lookup")
    if created:
        directory_changed.send(
            sender=ProviderCandidate,
            actor=actor,
            verb="candidate_propose",
            data={
                "candidate": candidate.pk,
                "network_handle": handle,
                "state": candidate_state(candidate),
            },
        )
        return candidate
    if candidate.decision != ProviderCandidate.Decision.PENDING:
        return candidate
    before = candidate_state(candidate)
    for field_name, value in fresh.items():
        setattr(candidate, field_name, value)
    candidate.save()
    changes = {k: [before[k], v] for k, v in candidate_state(candidate).items() if before[k] != v}
    if changes:
        directory_changed.send(
            sender=ProviderCandidate,
            actor=actor,
            verb="candidate_update",
            data={"candidate": candidate.pk, "network_handle": handle, "changes": changes},
        )
    return candidate


def _candidate_pending(candidate_id: int) -> ProviderCandidate:
    candidate = ProviderCandidate.objects.select_for_update().filter(pk=candidate_id).first()
    if candidate is None:
        raise DomainError(f"There is no provider candidate {candidate_id}.")
    if candidate.decision != ProviderCandidate.Decision.PENDING:
        raise DomainError(
            f"The candidate {candidate.name} was already {candidate.get_decision_display()} "
            f"by {candidate.decided_by_label or 'someone'}: it is not pending."
        )
    return candidate


def _candidate_decided(candidate: ProviderCandidate, *, actor, decision: str) -> None:
    candidate.decision = decision
    candidate.decided_by_label = actor.label[:200]
    candidate.decided_at = timezone.now()
    candidate.save()


def _new_provider(candidate: ProviderCandidate, *, name, country, abuse_email) -> Provider:
    """A provider made of the candidate's data (or what the supervisor typed instead), checked as
    a directory file's entry is."""
    entry = {
        "name": candidate.name if name is None else name,
        "country": candidate.country if country is None else country,
        "abuse_email": candidate.abuse_email if abuse_email is None else abuse_email,
    }
    errors: list[str] = []
    values = {
        "name": _name(entry, errors),
        "country": _country(entry["country"], errors),
        "abuse_email": _email(entry, "abuse_email", errors, required=True),
    }
    if errors:
        raise DomainError(f"The provider cannot be created: {'; '.join(errors)}.")
    if Provider.objects.filter(name=values["name"]).exists():
        raise DomainError(
            f"A provider named {values['name']!r} already exists: attach the candidate to it, "
            "or choose another name."
        )
    provider = Provider(**values)
    provider.full_clean()
    provider.save()
    return provider


def _ranges_taken(candidate: ProviderCandidate, provider_id: int | None) -> list[str]:
    """The candidate's networks and AS that another provider already holds."""
    held = [
        *ProviderNetwork.objects.filter(cidr__in=candidate.networks)
        .exclude(provider_id=provider_id)
        .values_list("cidr", "provider__name"),
        *ProviderASN.objects.filter(asn=candidate.asn)
        .exclude(provider_id=provider_id)
        .values_list("asn", "provider__name"),
    ]
    return [
        f"{f'AS{value}' if isinstance(value, int) else value} already belongs to provider "
        f"{holder!r}"
        for value, holder in held
    ]


@transaction.atomic
def candidate_approve(
    candidate_id: int,
    *,
    actor,
    name: str | None = None,
    country: str | None = None,
    abuse_email: str | None = None,
    provider_id: int | None = None,
) -> Provider:
    """Approve a pending candidate: a new provider with its networks and AS (name, country and
    abuse address from the candidate unless given), or, with ``provider_id``, the networks and AS
    added to that provider. A network or AS another provider holds refuses the approval."""
    candidate = _candidate_pending(candidate_id)
    taken = _ranges_taken(candidate, provider_id)
    if taken:
        raise DomainError(
            f"The candidate {candidate.name} cannot be approved: {'; '.join(taken)}. Attach it "
            "to that provider, or remove the range there first."
        )
    before = None
    if provider_id is None:
        provider = _new_provider(candidate, name=name, country=country, abuse_email=abuse_email)
    else:
        provider = Provider.objects.select_for_update().filter(pk=provider_id).first()
        if provider is None:
            raise DomainError(f"There is no provider {provider_id} to attach the candidate to.")
        before = provider_state(provider)
    for cidr in candidate.networks:
        if not ProviderNetwork.objects.filter(cidr=cidr).exists():
            ProviderNetwork(provider=provider, cidr=cidr).save()
    if candidate.asn is not None:
        ProviderASN.objects.get_or_create(asn=candidate.asn, defaults={"provider": provider})
    provider_update_record(actor=actor, before=before, provider=provider)
    candidate.provider = provider
    _candidate_decided(candidate, actor=actor, decision=ProviderCandidate.Decision.APPROVED)
    directory_changed.send(
        sender=ProviderCandidate,
        actor=actor,
        verb="candidate_approve",
        data={
            "candidate": candidate.pk,
            "network_handle": candidate.network_handle,
            "provider": provider.pk,
            "attached": provider_id is not None,
            "networks": candidate.networks,
            "asn": candidate.asn,
        },
    )
    return provider


@transaction.atomic
def candidate_reject(candidate_id: int, *, actor, reason: str) -> None:
    """Reject a pending candidate (its contact is wrong, or it is not a hosting provider); the
    reason is on the audit trail. A later lookup of the same network finds it rejected."""
    reason = " ".join(reason.split())
    if not reason:
        raise DomainError("Say why the candidate is rejected.")
    if len(reason) > 500:
        raise DomainError("The reason is longer than 500 characters.")
    candidate = _candidate_pending(candidate_id)
    _candidate_decided(candidate, actor=actor, decision=ProviderCandidate.Decision.REJECTED)
    directory_changed.send(
        sender=ProviderCandidate,
        actor=actor,
        verb="candidate_reject",
        data={
            "candidate": candidate.pk,
            "network_handle": candidate.network_handle,
            "reason": reason,
        },
    )
