"""The hosting lookup at scale, against a real DNS server and a real HTTPS RDAP server on
127.0.0.1 (``sandbox``), on PostgreSQL.

Data: BENCH_HOSTS hosts spread over BENCH_NETWORKS networks (/28s of the documentation ranges),
a third of the networks in the directory (the rest reach a candidate through RDAP), and
BENCH_REPORTS reports on those hosts, each with its intake lookup pending.

1. Cold lookups (the baseline): ``reports.hosting.attribute(host, fresh=True)`` for BENCH_COLD
   hosts, every step asked of the servers, none from the cache: lookups per second.
2. The lookups worker's work: ``hosting.intake_lookups_run`` for each partner batch's reports,
   as the lookups queue runs them: lookups per second, and how many queries reached the DNS and RDAP
   servers (the cache must keep this near one set per host plus one RDAP query per network).
   Ratio: cached lookups per second / cold lookups per second.
3. A partner batch of BENCH_BATCH new URLs on one host (``partner_batch_submit``, the service
   the partner API calls), with the lookups requested (on) and with the request left out
   (off), alternating, BENCH_REPEATS each: the median extra time the batch's answer takes
   (the lookups themselves run afterwards in their own queue). Target: not slower.

The service runs in this process with development settings (the sandbox's loopback-only rule
is what lets it reach the two servers), DEBUG off. About a minute on an idle 2-core machine.

Environment (all optional):
  DATABASE_URL      PostgreSQL without reports in it (emptied of what the run wrote). Default: a
                    throwaway database hotline_bench_hosting, created and dropped.
  BENCH_REPORTS     reports (10000)
  BENCH_HOSTS       hosts (500)
  BENCH_NETWORKS    networks (48)
  BENCH_COLD        hosts looked up cold (200)
  BENCH_BATCH       URLs in the partner batch (1000)
  BENCH_REPEATS     batches per variant (5)
"""

import ipaddress
import statistics
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from unittest import mock

from support.harness import ROOT, BenchError, bench_main, env_int
from support.sandboxed import sandboxed_service

sys.path.insert(0, str(ROOT))

THROWAWAY_DB = "hotline_bench_hosting"
RANGES = ("198.51.100.0/24", "203.0.113.0/24", "192.0.2.0/24")
REGISTRIES = ("rdap.example.net", "rdap.db.ripe.net", "rdap.arin.net")


def networks(count: int) -> list[ipaddress.IPv4Network]:
    subnets = [net for cidr in RANGES for net in ipaddress.ip_network(cidr).subnets(new_prefix=28)]
    if count > len(subnets):
        raise BenchError(f"BENCH_NETWORKS can be at most {len(subnets)}")
    return subnets[:count]


def world(host_count: int, nets: list) -> tuple[dict, dict, list[str]]:
    """The DNS zone, the RDAP networks, and the host names."""
    from sandbox import rdap_fixtures
    from sandbox.demo import origin_name

    zone, registry, hosts = {}, {}, []
    for n in range(host_count):
        net = nets[n % len(nets)]
        address = str(net[1 + (n // len(nets)) % 14])
        host = f"h{n}.bench.example"
        hosts.append(host)
        zone[host] = {"A": [address]}
        zone[origin_name(address)] = {
            "TXT": [f"{64600 + nets.index(net)} | {net} | GB | ripencc | 2020-01-01"]
        }
    for i, net in enumerate(nets):
        registry[str(net)] = {
            "rdap": rdap_fixtures.ripe_network(
                str(net), f"BENCH-NET-{i}", "GB", f"abuse@net{i}.example", holder=f"Holder {i} Ltd"
            )
        }
    return zone, registry, hosts


def configure(dns, rdap) -> None:
    from django.conf import settings

    settings.HOTLINE_DNS_RESOLVERS = f"127.0.0.1:{dns.address[1]}"
    settings.HOTLINE_SANDBOX = ",".join(
        f"{name}:443=127.0.0.1:{rdap.address[1]}" for name in REGISTRIES
    )
    settings.HOTLINE_OUTSIDE_CA_FILE = rdap.ca_file


def directory_load(nets: list) -> None:
    from hotline.models import Provider, ProviderNetwork

    for i, net in enumerate(nets[: len(nets) // 3]):
        provider = Provider.objects.create(
            name=f"Bench provider {i}", country="NL", abuse_email=f"abuse@p{i}.example"
        )
        ProviderNetwork(provider=provider, cidr=str(net)).save()


def reports_insert(count: int, hosts: list[str]) -> list[list[int]]:
    """Reports through the partner intake, no task sent: the ids of each batch, as the intake
    task of each would get them."""
    from hotline.actors import Actor
    from hotline.models import PartnerHotline
    from reports.broker import broker_quiet
    from reports.intake import partner_batch_submit
    from reports.models import Report

    partner = PartnerHotline.objects.create(name="Bench partner", countries=["DE"])
    with broker_quiet():
        for start in range(0, count, 1000):
            partner_batch_submit(
                partner=partner,
                items=[
                    {"url": f"https://{hosts[n % len(hosts)]}/f/{n}.jpg"}
                    for n in range(start, min(start + 1000, count))
                ],
                actor=Actor.system("bench"),
            )
    ids = list(Report.objects.order_by("pk").values_list("pk", flat=True))
    return [ids[start : start + 1000] for start in range(0, len(ids), 1000)]


def cache_clear() -> None:
    from hotline.models import AddressLookup, HostResolution, RegistryNetwork

    for model in (HostResolution, AddressLookup, RegistryNetwork):
        model.objects.all().delete()


def cold_rate(hosts: list[str]) -> float:
    from reports.hosting import attribute

    began = time.perf_counter()
    for host in hosts:
        attribute(host, fresh=True)
    return len(hosts) / (time.perf_counter() - began)


def batch_seconds(repeats: int, size: int) -> dict[str, float]:
    """Median seconds of a partner batch on one host, lookups requested (on) or not (off)."""
    from hotline.actors import Actor
    from hotline.models import PartnerHotline
    from reports import intake
    from reports.broker import broker_quiet

    partner = PartnerHotline.objects.get(name="Bench partner")
    times: dict[str, list[float]] = {"on": [], "off": []}
    for run in range(2 * repeats + 2):  # two warm-ups
        variant = ("on", "off")[run % 2]
        items = [{"url": f"https://batch.bench.example/r{run}/{n}"} for n in range(size)]
        with ExitStack() as stack:
            stack.enter_context(broker_quiet())
            if variant == "off":
                stack.enter_context(mock.patch.object(intake.hosting, "lookups_request_for_new"))
            began = time.perf_counter()
            intake.partner_batch_submit(partner=partner, items=items, actor=Actor.system("bench"))
            elapsed = time.perf_counter() - began
        if run >= 2:
            times[variant].append(elapsed)
    return {variant: statistics.median(values) for variant, values in times.items()}


def run(workdir: Path) -> None:
    reports = env_int("BENCH_REPORTS", 10000)
    host_count = env_int("BENCH_HOSTS", 500)
    nets = networks(env_int("BENCH_NETWORKS", 48))
    cold = env_int("BENCH_COLD", 200)
    batch = env_int("BENCH_BATCH", 1000)
    repeats = env_int("BENCH_REPEATS", 5)
    with sandboxed_service(workdir, THROWAWAY_DB):
        from sandbox.dns_server import DNSServer
        from sandbox.rdap_server import RDAPServer

        zone, registry, hosts = world(host_count, nets)
        with DNSServer(zone) as dns, RDAPServer(registry, ca_dir=workdir) as rdap:
            configure(dns, rdap)
            directory_load(nets)
            cold_per_second = cold_rate(hosts[:cold])
            cold_queries = len(dns.queries) + len(rdap.requests)
            cache_clear()
            dns.queries.clear()
            rdap.requests.clear()
            from reports.hosting import intake_lookups_run

            batches = reports_insert(reports, hosts)
            began = time.perf_counter()
            done = sum(intake_lookups_run(ids) for ids in batches)
            elapsed = time.perf_counter() - began
            if done != reports:
                raise BenchError(f"{done} lookups ran, for {reports} reports")
            dns_queries, rdap_queries = len(dns.queries), len(rdap.requests)
            rate = done / elapsed
            timing = batch_seconds(repeats, batch)
        extra = timing["on"] - timing["off"]
        expected = host_count * 3 + len(
            nets
        )  # A, AAAA and the origin AS per host; RDAP per network
        print(
            f"cold lookups (baseline): {cold_per_second:.0f}/s "
            f"({cold} hosts, {cold_queries} queries)"
        )
        print(
            f"lookups of {reports} reports on {host_count} hosts: {rate:.0f}/s "
            f"(ratio to cold {rate / cold_per_second:.1f})"
        )
        print(
            f"outside queries: {dns_queries} DNS + {rdap_queries} RDAP = "
            f"{dns_queries + rdap_queries} (one set per host and one RDAP per network: {expected}; "
            f"{reports * 4} without the cache)"
        )
        print(
            f"partner batch of {batch}: {1000 * timing['on']:.0f} ms with lookups requested, "
            f"{1000 * timing['off']:.0f} ms without: {1000 * extra:+.0f} ms "
            f"(ratio {timing['on'] / timing['off']:.2f}; the lookups run afterwards)"
        )


def main() -> int:
    return bench_main("hosting.py", run, time_limit=1800)


if __name__ == "__main__":
    sys.exit(main())
