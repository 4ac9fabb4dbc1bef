"""The hosting lookup: who hosts a report's URL, found from DNS and registry data about the host,
never by fetching the URL (write service).

Each run is a ``HostingLookup`` of the report that records every step: the host's addresses
(DNS, following CNAMEs; an address URL skips it), the directory's networks, the origin AS against
the directory's ASNs, the domain against its suffixes (Public Suffix List aware), the host rules
(CDN, platform, host), and RDAP for each address's network (holder, holder's country, abuse
contact). What it suggests, in this order:

1. a host rule for the domain ("this host belongs to that provider", "this domain is a platform");
2. an address behind a CDN or reverse proxy: the CDN's abuse channel, and the report says so;
3. an address in a provider's network or AS (the bytes are where the address is);
4. the domain's suffix in the directory;
5. otherwise the network's holder from RDAP, as a candidate a supervisor must approve.

Lookups run in their own queue (``lookups``) after the transaction that asked for them, on intake,
on an analyst's request and before each notice or repeat is handed off; never in a request or in
the deadline sweep. DNS and registry answers are cached in the database for HOTLINE_LOOKUP_TTL,
so a batch of URLs on one host costs one lookup. A lookup lost with its worker or the broker is
found again from its row (``lookups_resume``); a failure is recorded and retried with backoff.
"""

import ipaddress
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from hotline import directory, outside, selectors
from hotline.actors import Actor
from hotline.addresses import non_public_reason
from hotline.integrations import dns, rdap
from hotline.models import (
    AddressLookup,
    HostResolution,
    HostRule,
    PartnerHotline,
    Provider,
    ProviderCandidate,
    RegistryNetwork,
    address_key,
)
from hotline.policy import duration_setting
from reports.audit import event_build, events_append
from reports.broker import broker_send
from reports.models import OPEN_STATUSES, HostingLookup, Notice, Report

logger = logging.getLogger(__name__)

RUN_TASK = "reports.tasks.hosting_lookups_run"
INTAKE_TASK = "reports.tasks.hosting_intake_lookups_run"
# A claimed lookup is the worker's for this long; after it, the resume task takes it again.
LEASE = timedelta(minutes=5)
# Waits after each failed attempt; after the last the lookup is left failed (the report is
# still workable by hand, and "look up again" starts afresh).
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)
# A registry that failed for an address is not asked again for it before this.
REGISTRY_RETRY = timedelta(minutes=5)
NEGATIVE_DNS_TTL = timedelta(minutes=5)
RESUME_BATCH = 200
# A delivery retried within this reuses the check of the attempt before.
DELIVERY_CHECK_REUSE = timedelta(minutes=10)
TRANSIENT_DNS = {"servfail", "timeout", "refused"}
TRANSIENT_RDAP = {"rate_limited", "server_error", "timeout", "connect", "tls"}
ACTOR = Actor.system("hosting lookup")


# --- asking for lookups --------------------------------------------------------------------


def lookups_request_for_new(reports) -> None:
    """Intake: look the new reports up after commit. Nothing is written in the request: a
    report whose task is lost has no finished lookup, which is how ``lookups_resume`` finds it."""
    ids = [report.pk for report in reports]
    if ids:
        transaction.on_commit(lambda: broker_send(INTAKE_TASK, [ids]))


def intake_lookups_run(report_ids: list[int]) -> int:
    """The intake lookups of these reports, for those not looked up yet."""
    return lookups_run(_pending_for(report_ids, HostingLookup.Purpose.INTAKE))


def _pending_for(report_ids, purpose: str) -> list[int]:
    """A pending lookup for each of these reports that has none finished (one pending per report:
    the database refuses a second)."""
    reports = Report.objects.filter(pk__in=report_ids, hosting_lookup__isnull=True)
    HostingLookup.objects.bulk_create(
        (
            HostingLookup(report_id=pk, purpose=purpose)
            for pk in reports.values_list("pk", flat=True)
        ),
        ignore_conflicts=True,
    )
    pending = HostingLookup.objects.filter(
        report_id__in=report_ids, state=HostingLookup.State.PENDING
    )
    return list(pending.values_list("pk", flat=True))


def lookup_request(report_id: int, *, actor: Actor) -> HostingLookup:
    """An analyst's "look up again": fresh answers, not the cache's (or the one already
    waiting)."""
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report_id)
        lookup = report.lookups.filter(state=HostingLookup.State.PENDING).first()
        if lookup is None:
            lookup = HostingLookup.objects.create(
                report=report, purpose=HostingLookup.Purpose.ON_DEMAND
            )
            transaction.on_commit(lambda: broker_send(RUN_TASK, [[lookup.pk]]))
        events_append([_event(report, "hosting_lookup_request", actor, {"lookup": lookup.pk})])
    return lookup


def lookups_run(lookup_ids: list[int]) -> int:
    """Run the given lookups that are still pending and not taken by another worker; how many
    ran. Those of one host share one lookup: a batch on one host costs one."""
    hosts: dict[tuple[str, bool], list[int]] = defaultdict(list)
    for pk, host, purpose in HostingLookup.objects.filter(pk__in=lookup_ids).values_list(
        "pk", "report__host", "purpose"
    ):
        hosts[(host, purpose == HostingLookup.Purpose.ON_DEMAND)].append(pk)
    ran = 0
    for (host, fresh), ids in hosts.items():
        claimed = _claim(ids)  # per host, so that a lease covers only what runs next
        if claimed:
            _record(claimed, attribute(host, fresh=fresh))
            ran += len(claimed)
    return ran


def lookups_resume() -> int:
    """The database is the queue: run the lookups whose retry is due or whose worker was lost,
    and look up the open reports that never were (their task lost with the broker)."""
    now = timezone.now()
    due = (
        HostingLookup.objects.filter(state=HostingLookup.State.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:RESUME_BATCH]
    )
    never = (
        Report.objects.filter(
            hosting_lookup__isnull=True,
            status__in=OPEN_STATUSES,
            # A new report's task gets two rounds of the resume task to start first.
            received_at__lte=now - timedelta(seconds=2 * settings.HOTLINE_LOOKUP_RESUME_SECONDS),
        )
        .exclude(lookups__state=HostingLookup.State.PENDING)
        .order_by("received_at")
        .values_list("pk", flat=True)[:RESUME_BATCH]
    )
    return lookups_run(list(due)) + intake_lookups_run(list(never))


def _claim(lookup_ids: list[int]) -> list[HostingLookup]:
    """Take the lookups that are pending and due, skipping those another worker holds, and
    lease them (one lost with its worker is due again when the lease ends)."""
    now = timezone.now()
    with transaction.atomic():
        lookups = list(
            HostingLookup.objects.select_for_update(skip_locked=True).filter(
                pk__in=lookup_ids, state=HostingLookup.State.PENDING, next_attempt_at__lte=now
            )
        )
        for lookup in lookups:
            lookup.attempts += 1
            lookup.next_attempt_at = now + LEASE
        HostingLookup.objects.bulk_update(lookups, ["attempts", "next_attempt_at"])
    return lookups


# --- before a hand-off ------------------------------------------------------------------------


def hand_off_allowed(notice: Notice) -> bool:
    """The delivery step's check before a notice or repeat goes: look the host up again (the
    cache answers within its TTL). If it moved to another provider or country the message
    waits and the report goes to the "hosting changed" queue. A lookup that fails does not hold
    a notice back."""
    report = notice.report
    if report.hosting_changed_id is not None:
        return False  # an analyst decides first
    recent = (
        HostingLookup.objects.filter(
            report=report,
            purpose=HostingLookup.Purpose.DELIVERY,
            finished_at__gte=timezone.now() - DELIVERY_CHECK_REUSE,
        )
        .order_by("-finished_at")
        .first()
    )
    if recent is not None:  # a retried attempt: the check a moment ago stands
        return not _moved(notice, recent)
    findings = attribute(report.host, fresh=False)
    lookup = HostingLookup(report=report, purpose=HostingLookup.Purpose.DELIVERY, attempts=1)
    # The check before a hand-off is its row; what it changes (a move) is a transition.
    _findings_apply(lookup, findings, timezone.now(), retry=False)
    lookup.save()
    if not _moved(notice, lookup):
        return True
    from reports.workflow import report_hosting_changed  # the workflow imports notices

    report_hosting_changed(report.pk, lookup_id=lookup.pk, notice_id=notice.pk)
    return False


def _moved(notice: Notice, lookup: HostingLookup) -> bool:
    if not lookup.resolved or (lookup.provider_id is None and lookup.candidate_id is None):
        return False  # nothing known now: not evidence of a move
    basis = notice.lookup
    if basis is not None and basis.resolved:
        return basis.attribution != lookup.attribution
    where = (lookup.provider_id, lookup.country or notice.country)
    return where != (notice.provider_id, notice.country)


# --- the lookup itself --------------------------------------------------------------------------


@dataclass
class Findings:
    steps: list[dict] = field(default_factory=list)
    cnames: list[str] = field(default_factory=list)
    addresses: list[dict] = field(default_factory=list)
    provider: Provider | None = None
    candidate: ProviderCandidate | None = None
    country: str = ""
    behind_cdn: bool = False
    abuse_email: str = ""
    reason: str = ""
    resolved: bool = False
    partner: PartnerHotline | None = None  # hosted abroad where this partner covers
    transient: bool = False  # a failure that a later attempt may not meet
    retry_at: datetime | None = None  # not before this: a registry asked us to wait

    def wait_until(self, moment: datetime) -> None:
        self.transient = True
        self.retry_at = max(self.retry_at or moment, moment)

    def step(self, name: str, outcome: str, detail: str = "") -> None:
        self.steps.append({"step": name, "outcome": outcome, "detail": detail[:300]})


@dataclass
class AddressFacts:
    """What the lookup found for one public address."""

    address: str
    origin: AddressLookup | None
    record: RegistryNetwork | None
    network_provider: Provider | None
    asn_provider: Provider | None
    cdn: HostRule | None

    @property
    def asn(self) -> int | None:
        return self.origin.asn if self.origin else None

    @property
    def provider(self) -> Provider | None:
        return self.network_provider or self.asn_provider


def attribute(host: str, *, fresh: bool) -> Findings:
    """Everything the lookup establishes about ``host``; never raises for an outside failure."""
    findings = Findings()
    public = _addresses(host, findings, fresh=fresh)
    networks = selectors.network_match(public)
    origins = {address: _origin(address, findings, fresh=fresh) for address in public}
    by_asn = selectors.asn_match({o.asn for o in origins.values() if o and o.asn})
    facts = []
    for address in public:
        origin = origins[address]
        asn = origin.asn if origin else None
        facts.append(
            AddressFacts(
                address=address,
                origin=origin,
                record=_registry_network(address, findings, fresh=fresh),
                network_provider=networks.get(address),
                asn_provider=by_asn.get(asn),
                cdn=selectors.cdn_rule_for(address, asn),
            )
        )
    rows = {row["address"]: row for row in findings.addresses}
    for fact in facts:
        record = fact.record
        rows[fact.address].update(
            asn=fact.asn,
            network=record.cidr if record else "",
            network_name=record.name if record else "",
            holder=record.holder if record else "",
            holder_country=record.country if record else "",
            abuse_email=record.abuse_email if record else "",
            provider=fact.provider.name if fact.provider else "",
            cdn=fact.cdn.provider.name if fact.cdn else "",
        )
    _decide(host, facts, findings)
    return findings


def _addresses(host: str, findings: Findings, *, fresh: bool) -> list[str]:
    """The host's addresses (all recorded), and of them the public ones, which are acted on."""
    literal = _literal(host)
    if literal is not None:
        findings.step("dns", "skipped", "the URL names an address")
        answered = [str(literal)]
    else:
        answered = _resolve(host, findings, fresh=fresh)
    public = []
    for address in answered:
        reason = non_public_reason(
            ipaddress.ip_address(address), documentation_admitted=outside.documentation_admitted()
        )
        findings.addresses.append(
            {"address": address, "public": reason is None, "note": reason or ""}
        )
        if reason is None:
            public.append(address)
        else:
            findings.step("address", "refused", f"{address} is {reason}")
    findings.resolved = bool(public)
    return public


def _literal(host: str):
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _resolve(host: str, findings: Findings, *, fresh: bool) -> list[str]:
    now = timezone.now()
    cached = HostResolution.objects.filter(host=host).first()
    if cached and not fresh and now - cached.looked_up_at < _ttl(cached.error):
        findings.cnames = cached.cnames
        findings.step(
            "dns", "cached" if not cached.error else cached.error, ", ".join(cached.addresses)
        )
        return cached.addresses
    try:
        resolution = dns.resolve(host, resolvers=resolvers(), timeout=settings.HOTLINE_DNS_TIMEOUT)
    except ValueError as exc:  # no resolvers configured
        findings.step("dns", "not configured", str(exc))
        return []
    except dns.DNSLookupError as exc:
        findings.step("dns", exc.kind, str(exc))
        if exc.kind in TRANSIENT_DNS:
            findings.transient = True
        else:
            _resolution_store(host, [], [], exc.kind, now)
        return []
    addresses, cnames = list(resolution.addresses), list(resolution.cnames)
    findings.cnames = cnames
    detail = ", ".join(addresses) + (f" (via {' -> '.join(cnames)})" if cnames else "")
    findings.step("dns", "answered", detail)
    _resolution_store(host, addresses, cnames, "", now)
    return addresses


def _resolution_store(host, addresses, cnames, error, now) -> None:
    HostResolution.objects.update_or_create(
        host=host,
        defaults={"addresses": addresses, "cnames": cnames, "error": error, "looked_up_at": now},
    )


def _ttl(error: str = "") -> timedelta:
    return NEGATIVE_DNS_TTL if error else duration_setting("HOTLINE_LOOKUP_TTL")


@cache
def _resolvers_parsed(text: str) -> list:
    return dns.resolvers_parse(text)


def resolvers() -> list:
    """The resolvers the service asks (HOTLINE_DNS_RESOLVERS), parsed once."""
    return (
        _resolvers_parsed(settings.HOTLINE_DNS_RESOLVERS) if settings.HOTLINE_DNS_RESOLVERS else []
    )


def _origin(address: str, findings: Findings, *, fresh: bool) -> AddressLookup | None:
    """The AS that originates the address (Team Cymru's DNS interface), cached per address."""
    zones = settings.HOTLINE_ASN_ZONES
    if len(zones) != 2:
        return None
    now = timezone.now()
    row = AddressLookup.objects.filter(address=address).first()
    if row and not fresh and row.looked_up_at and now - row.looked_up_at < _ttl(row.asn_error):
        findings.step("asn", "cached", f"{address}: AS{row.asn}" if row.asn else f"{address}: none")
        return row
    row = row or AddressLookup(address=address)
    try:
        origin = dns.origin_asn(
            address,
            resolvers=resolvers(),
            timeout=settings.HOTLINE_DNS_TIMEOUT,
            zone4=zones[0],
            zone6=zones[1],
        )
    except (ValueError, dns.DNSLookupError) as exc:
        findings.step("asn", getattr(exc, "kind", "not configured"), f"{address}: {exc}")
        return row if row.pk else None
    row.asn, row.asn_prefix = (origin.asn, origin.prefix) if origin else (None, "")
    row.asn_error, row.looked_up_at = "", now
    row.save()
    findings.step(
        "asn",
        "answered",
        f"{address}: AS{row.asn} ({row.asn_prefix})" if origin else f"{address}: none",
    )
    return row


def _registry_network(address: str, findings: Findings, *, fresh: bool) -> RegistryNetwork | None:
    """The network's registry record (RDAP), cached per network: one query serves every address
    in it."""
    now = timezone.now()
    key = address_key(address)
    ttl = duration_setting("HOTLINE_LOOKUP_TTL")
    cached = (
        RegistryNetwork.objects.filter(first_address__lte=key, last_address__gte=key)
        .order_by("-prefix_length", "-looked_up_at")
        .first()
    )
    if cached and not fresh and now - cached.looked_up_at < ttl:
        findings.step("rdap", "cached", f"{address}: {cached.handle} {cached.cidr}")
        return cached
    failure = AddressLookup.objects.filter(address=address, rdap_retry_at__gt=now).first()
    if failure and not fresh:
        findings.step(
            "rdap",
            failure.rdap_error,
            f"{address}: not asked again before {failure.rdap_retry_at:%H:%M:%S} UTC",
        )
        findings.wait_until(failure.rdap_retry_at)
        return None
    try:
        record = rdap.ip_network(
            address,
            bootstrap=_bootstrap(),
            route=outside.outside_route,
            ca_file=outside.outside_ca_file(),
            timeout=settings.HOTLINE_RDAP_TIMEOUT,
            max_bytes=settings.HOTLINE_RDAP_MAX_BYTES,
            user_agent=settings.HOTLINE_LOOKUP_USER_AGENT,
        )
    except rdap.RDAPError as exc:
        findings.step("rdap", exc.kind, f"{address}: {exc}")
        if exc.kind in TRANSIENT_RDAP:
            wait = timedelta(seconds=exc.retry_after) if exc.retry_after else REGISTRY_RETRY
            findings.wait_until(now + wait)
            AddressLookup.objects.update_or_create(
                address=address,
                defaults={"rdap_error": exc.kind, "rdap_retry_at": now + wait},
                create_defaults={
                    "rdap_error": exc.kind,
                    "rdap_retry_at": now + wait,
                    "looked_up_at": now,
                },
            )
        return None
    network = RegistryNetwork.objects.filter(handle=record.handle).first() or RegistryNetwork(
        handle=record.handle
    )
    network.cidr = (
        record.cidrs[0] if record.cidrs else f"{address}/{32 if ':' not in address else 128}"
    )
    network.name, network.holder, network.country = (
        record.name[:200],
        record.holder[:200],
        record.country[:2],
    )
    network.cidrs = list(record.cidrs)
    network.abuse_email, network.abuse_note = record.abuse_email, record.abuse_note[:300]
    network.source_url, network.looked_up_at = record.source_url[:500], now
    network.save()
    AddressLookup.objects.filter(address=address).update(rdap_error="", rdap_retry_at=None)
    findings.step(
        "rdap",
        "answered",
        f"{address}: {record.handle} {network.cidr} {record.name}, "
        f"{record.country or 'no country'}, abuse: {record.abuse_email or record.abuse_note}",
    )
    return network


@cache
def _bootstrap_cached(path: str, sandboxed: bool):
    extra = [(outside.DOCUMENTATION_RANGES, [outside.SANDBOX_RDAP_BASE])] if sandboxed else []
    return rdap.Bootstrap.from_directory(Path(path), extra_ip_services=extra)


def _bootstrap():
    return _bootstrap_cached(str(settings.HOTLINE_RDAP_BOOTSTRAP_DIR), outside.sandboxed())


def _decide(host: str, facts: list[AddressFacts], findings: Findings) -> None:
    rule = selectors.host_rule_for_host(host)
    behind = next((fact for fact in facts if fact.cdn), None)
    hosted = next((fact for fact in facts if fact.provider), None)
    domain = selectors.domain_match(host)
    if rule is not None and rule.kind == HostRule.Kind.HOST:
        _suggest(
            findings, rule.provider, f"the directory says {rule.domain} is {rule.provider.name}'s"
        )
    elif rule is not None:
        _suggest(
            findings,
            rule.provider,
            f"{rule.domain} is {rule.provider.name}'s platform: its domain decides",
        )
    elif behind is not None:
        cdn = behind.cdn
        findings.behind_cdn = True
        _suggest(
            findings,
            cdn.provider,
            f"{behind.address} is behind {cdn.provider.name}'s CDN or reverse proxy "
            f"({cdn.cidr or f'AS{cdn.asn}'}): its abuse desk is told, and knows the origin",
        )
    elif hosted is not None:
        how = "network" if hosted.network_provider else f"AS{hosted.asn}"
        _suggest(
            findings,
            hosted.provider,
            f"{hosted.address} is in {hosted.provider.name}'s {how}: the content is there",
        )
    elif domain is not None:
        _suggest(
            findings,
            domain.provider,
            f"{host} is under {domain.suffix}, {domain.provider.name}'s domain",
        )
    else:
        _candidate(findings, facts)
    if not findings.country:
        findings.country = next(
            (f.record.country for f in facts if f.record and f.record.country), ""
        )
    findings.partner = _partner_for(findings.country)
    if findings.partner is not None:
        findings.step(
            "partner", "abroad", f"hosted in {findings.country}: {findings.partner.name} covers it"
        )


def _suggest(findings: Findings, provider: Provider, reason: str) -> None:
    findings.provider, findings.reason = provider, reason
    findings.country, findings.abuse_email = provider.country, provider.abuse_email
    findings.step("match", "provider", reason)


def _candidate(findings: Findings, facts: list[AddressFacts]) -> None:
    fact = next((fact for fact in facts if fact.record), None)
    if fact is None:
        findings.reason = "no provider found: set the hosting by hand"
        findings.step("match", "none", findings.reason)
        return
    record, address = fact.record, fact.address
    candidate = directory.candidate_propose(
        network_handle=record.handle,
        name=record.holder or record.name or record.handle,
        country=record.country,
        abuse_email=record.abuse_email,
        abuse_note=record.abuse_note,
        networks=list(record.cidrs),
        asn=fact.asn,
        source_url=record.source_url,
        looked_up_at=record.looked_up_at,
    )
    findings.candidate, findings.abuse_email = candidate, candidate.abuse_email
    if candidate.decision == ProviderCandidate.Decision.APPROVED and candidate.provider:
        _suggest(
            findings,
            candidate.provider,
            f"{address} is in {record.cidr}, approved as {candidate.provider.name}",
        )
        return
    findings.country = record.country
    state = (
        "rejected by a supervisor"
        if candidate.decision == ProviderCandidate.Decision.REJECTED
        else ("a candidate: a supervisor must approve it before a notice can go")
    )
    findings.reason = f"{address} is in {record.cidr}, held by {candidate.name}: {state}"
    findings.step("match", "candidate", findings.reason)


def _partner_for(country: str) -> PartnerHotline | None:
    if not country or country == settings.HOTLINE_COUNTRY:
        return None
    partners = PartnerHotline.objects.filter(active=True).order_by("name")
    return next((p for p in partners if country in p.countries), None)


# --- recording --------------------------------------------------------------------------------


RECORDED = [
    "steps",
    "cnames",
    "addresses",
    "provider",
    "candidate",
    "partner",
    "country",
    "behind_cdn",
    "abuse_email",
    "reason",
    "resolved",
    "state",
    "next_attempt_at",
    "finished_at",
]


def _findings_apply(lookup: HostingLookup, findings: Findings, now, *, retry: bool) -> None:
    lookup.steps, lookup.cnames, lookup.addresses = (
        findings.steps,
        findings.cnames,
        findings.addresses,
    )
    lookup.provider, lookup.candidate = findings.provider, findings.candidate
    lookup.partner = findings.partner
    lookup.country, lookup.behind_cdn = findings.country, findings.behind_cdn
    lookup.abuse_email, lookup.reason = findings.abuse_email, findings.reason[:500]
    lookup.resolved = findings.resolved
    again = retry and findings.transient and findings.provider is None
    if again and lookup.attempts <= len(BACKOFF):
        lookup.next_attempt_at = max(now + BACKOFF[lookup.attempts - 1], findings.retry_at or now)
    else:
        lookup.state = HostingLookup.State.FAILED if again else HostingLookup.State.DONE
        lookup.finished_at = now


def _record(lookups: list[HostingLookup], findings: Findings) -> None:
    """What the lookups of one host found, on their rows and reports, with an audit event each,
    in one transaction."""
    now = timezone.now()
    for lookup in lookups:
        _findings_apply(lookup, findings, now, retry=True)
    with transaction.atomic():
        reports = Report.objects.select_for_update().in_bulk(
            [lookup.report_id for lookup in lookups]
        )
        HostingLookup.objects.bulk_update(lookups, RECORDED)
        finished = [lookup for lookup in lookups if lookup.finished_at is not None]
        for lookup in finished:
            reports[lookup.report_id].hosting_lookup = lookup
        Report.objects.bulk_update(
            [reports[lookup.report_id] for lookup in finished], ["hosting_lookup"]
        )
        events_append(
            _event(reports[lookup.report_id], "hosting_looked_up", ACTOR, _summary(lookup))
            for lookup in lookups
        )


def _summary(lookup: HostingLookup) -> dict:
    return {
        "lookup": lookup.pk,
        "purpose": lookup.purpose,
        "state": lookup.state,
        "addresses": [row["address"] for row in lookup.addresses],
        "provider": lookup.provider.name if lookup.provider else None,
        "candidate": lookup.candidate_id,
        "country": lookup.country,
        "behind_cdn": lookup.behind_cdn,
    }


def _event(report: Report, verb: str, actor: Actor, data: dict):
    return event_build(
        verb,
        actor=actor,
        at=timezone.now(),
        report=report,
        from_status=report.status,
        to_status=report.status,
        data=data,
    )
