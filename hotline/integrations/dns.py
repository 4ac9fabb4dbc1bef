"""DNS: the addresses a host name points at, and the network (ASN) that announces an address.

Queries go only to the resolvers the caller names (never /etc/resolv.conf), always for absolute
names, with one time limit for the whole lookup. Failures are ``DNSLookupError`` with a ``kind``
the caller can act on; no retries here (they belong to the task that asks).
"""

import ipaddress
import time
from collections.abc import Sequence
from dataclasses import dataclass

import dns.exception
import dns.message
import dns.name
import dns.nameserver
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.resolver

Resolver = tuple[str, int]

ERROR_KINDS = frozenset(
    {"nxdomain", "servfail", "timeout", "refused", "no_answer", "cname_loop", "bad_answer"}
)


@dataclass(frozen=True)
class Resolution:
    # The name asked: lower-case, punycode, without the trailing dot.
    host: str
    # The CNAME targets followed from ``host``, in order.
    cnames: tuple[str, ...]
    # A answers, then AAAA answers, each once.
    addresses: tuple[str, ...]


@dataclass(frozen=True)
class Origin:
    asn: int
    prefix: str
    country: str
    registry: str


class DNSLookupError(Exception):
    """A lookup that found no usable answer; ``kind`` is one of ``ERROR_KINDS``.

    ``no_answer``: the name exists but has no address; ``bad_answer``: an answer that cannot be
    read; ``cname_loop``: a CNAME chain that loops or is longer than allowed.
    """

    def __init__(self, kind: str, message: str):
        if kind not in ERROR_KINDS:
            raise ValueError(f"unknown DNS error kind {kind!r}")
        super().__init__(message)
        self.kind = kind


def resolvers_parse(text: str) -> list[Resolver]:
    """Read a comma-separated list of resolvers: ``127.0.0.1:8053, [2001:db8::1]:53``.

    The port is 53 when left out (``192.0.2.53``, ``[2001:db8::1]`` or a bare ``2001:db8::1``).
    A resolver is given by address: a name would itself need a resolver to be found.
    """
    resolvers = []
    for entry in (part.strip() for part in text.split(",")):
        if entry:
            resolvers.append(_resolver_parse(entry))
    return resolvers


def _resolver_parse(entry: str) -> Resolver:
    if entry.startswith("["):
        address, bracket, rest = entry[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise ValueError(f"DNS resolver {entry!r}: write an IPv6 address as [2001:db8::1]:53")
        port = rest[1:] if rest else "53"
    elif entry.count(":") > 1:
        address, port = entry, "53"
    else:
        address, _, port = entry.partition(":")
        port = port or "53"
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        raise ValueError(
            f"DNS resolver {entry!r}: {address!r} is not an IP address (give resolvers by "
            "address, such as 127.0.0.1:53)"
        ) from None
    if not (port.isascii() and port.isdigit() and 1 <= int(port) <= 65535):
        raise ValueError(f"DNS resolver {entry!r}: the port must be a number from 1 to 65535")
    return str(parsed), int(port)


def resolve(
    host: str, *, resolvers: Sequence[Resolver], timeout: float = 3.0, max_cnames: int = 8
) -> Resolution:
    """The addresses ``host`` points at (A, then AAAA), following its CNAME chain.

    An IP address is its own answer, without a query. ``timeout`` bounds the whole lookup.
    Raises ``DNSLookupError``; ``ValueError`` when no resolver is given or ``host`` is no name.
    """
    resolver = _resolver(resolvers)
    literal = _ip_literal(host)
    if literal:
        return Resolution(host=literal, cnames=(), addresses=(literal,))
    name = _absolute_name(host)
    asked = name.to_text(omit_final_dot=True).lower()
    deadline = time.monotonic() + timeout
    cnames: list[str] = []
    addresses: list[str] = []
    for rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
        answer = _query(resolver, name, rdtype, deadline)
        chain = _cname_chain(answer.response, name)
        if len(chain) > max_cnames:
            raise DNSLookupError(
                "cname_loop", f"{asked}: the CNAME chain is longer than {max_cnames} names"
            )
        cnames += [target for target in chain if target not in cnames]
        if answer.rrset is not None:
            addresses += [rdata.address for rdata in answer.rrset if rdata.address not in addresses]
    if not addresses:
        canonical = f" (through {cnames[-1]})" if cnames else ""
        raise DNSLookupError("no_answer", f"{asked}: the name has no A or AAAA record{canonical}")
    return Resolution(host=asked, cnames=tuple(cnames), addresses=tuple(addresses))


def origin_asn(
    address: str,
    *,
    resolvers: Sequence[Resolver],
    timeout: float = 3.0,
    zone4: str = "origin.asn.cymru.com",
    zone6: str = "origin6.asn.cymru.com",
) -> Origin | None:
    """The network announcing ``address``, from Team Cymru's IP-to-ASN service over DNS.

    None when the service knows no route for it. Where several routes cover the address, the
    most specific one counts (it is the one traffic follows); where a route has several origin
    ASNs, the first listed.
    """
    resolver = _resolver(resolvers)
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if isinstance(ip, ipaddress.IPv4Address):
        name = _absolute_name(".".join(reversed(str(ip).split("."))) + "." + zone4)
    else:
        name = _absolute_name(".".join(reversed(ip.exploded.replace(":", ""))) + "." + zone6)
    try:
        answer = _query(resolver, name, dns.rdatatype.TXT, time.monotonic() + timeout)
    except DNSLookupError as error:
        if error.kind == "nxdomain":
            return None
        raise
    if answer.rrset is None:
        return None
    texts = [b"".join(rdata.strings).decode("utf-8", "replace") for rdata in answer.rrset]
    origins = [_origin_parse(text, address) for text in texts]
    return max(origins, key=lambda origin: ipaddress.ip_network(origin.prefix).prefixlen)


def _origin_parse(text: str, address: str) -> Origin:
    fields = [field.strip() for field in text.split("|")]
    asns = fields[0].split() if fields else []
    try:
        if len(fields) < 4 or not (asns and asns[0].isascii() and asns[0].isdigit()):
            raise ValueError
        prefix = ipaddress.ip_network(fields[1], strict=False)
    except ValueError:
        raise DNSLookupError(
            "bad_answer", f"{address}: unreadable IP-to-ASN answer {text[:200]!r}"
        ) from None
    return Origin(
        asn=int(asns[0]), prefix=str(prefix), country=fields[2].upper(), registry=fields[3].lower()
    )


def _resolver(resolvers: Sequence[Resolver]) -> dns.resolver.Resolver:
    if not resolvers:
        raise ValueError("no DNS resolvers configured")
    # configure=False: nothing from /etc/resolv.conf (servers, search domains, options).
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [
        dns.nameserver.Do53Nameserver(address, port) for address, port in resolvers
    ]
    return resolver


def _ip_literal(host: str) -> str | None:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return None
    return host.lower()


def _absolute_name(host: str) -> dns.name.Name:
    try:
        # Relative to the root: no search domain is ever appended.
        return dns.name.from_text(host, origin=dns.name.root)
    except (dns.exception.DNSException, UnicodeError) as error:
        raise ValueError(f"{host!r} is not a host name: {error}") from None


def _query(
    resolver: dns.resolver.Resolver, name: dns.name.Name, rdtype: int, deadline: float
) -> dns.resolver.Answer:
    asked = name.to_text(omit_final_dot=True).lower()
    label = dns.rdatatype.to_text(rdtype)
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise DNSLookupError("timeout", f"{asked}: no time left for the {label} query")
    try:
        return resolver.resolve(
            name, rdtype, search=False, raise_on_no_answer=False, lifetime=remaining
        )
    except dns.resolver.NXDOMAIN as error:
        canonical = error.canonical_name
        target = canonical.to_text(omit_final_dot=True).lower()
        through = "" if canonical == name else f" (its CNAME target {target} does not exist)"
        raise DNSLookupError("nxdomain", f"{asked}: no such name{through}") from None
    except dns.exception.Timeout:
        raise DNSLookupError(
            "timeout", f"{asked}: no {label} answer from the DNS resolvers in time"
        ) from None
    except dns.resolver.NoNameservers as error:
        raise _failure(asked, name, label, error.kwargs["errors"]) from None
    except dns.resolver.YXDOMAIN:
        raise DNSLookupError("bad_answer", f"{asked}: the resolver answered YXDOMAIN") from None


def _failure(asked: str, name: dns.name.Name, label: str, errors: list) -> DNSLookupError:
    """The one error for a query every resolver failed; ``errors`` is dnspython's list of
    (server, tcp, port, exception, response) per attempt."""
    for _server, _tcp, _port, exception, response in errors:
        if isinstance(exception, dns.message.ChainTooLong):
            chain = [asked, *_cname_chain(response, name)]
            if chain[-1] in chain[:-1]:
                return DNSLookupError(
                    "cname_loop", f"{asked}: the CNAME chain loops: {' -> '.join(chain)}"
                )
            return DNSLookupError("cname_loop", f"{asked}: the CNAME chain is too long")
    rcodes = {response.rcode() for *_, response in errors if response is not None}
    if rcodes == {dns.rcode.REFUSED}:
        return DNSLookupError("refused", f"{asked}: the DNS resolvers refused the {label} query")
    if dns.rcode.SERVFAIL in rcodes:
        return DNSLookupError("servfail", f"{asked}: the DNS resolvers answered SERVFAIL")
    if rcodes:
        names = ", ".join(sorted(dns.rcode.to_text(rcode) for rcode in rcodes))
        return DNSLookupError("bad_answer", f"{asked}: the DNS resolvers answered {names}")
    reasons = "; ".join(f"{server}:{port}: {exception}" for server, _, port, exception, _ in errors)
    return DNSLookupError("servfail", f"{asked}: no DNS resolver could be asked ({reasons})")


def _cname_chain(response: dns.message.Message, name: dns.name.Name) -> list[str]:
    """The CNAME targets the answer leads through from ``name``, stopping at the first repeat."""
    chain: list[str] = []
    seen = {name}
    while True:
        rrset = response.get_rrset(response.answer, name, dns.rdataclass.IN, dns.rdatatype.CNAME)
        if rrset is None:
            return chain
        name = rrset[0].target
        chain.append(name.to_text(omit_final_dot=True).lower())
        if name in seen:
            return chain
        seen.add(name)
