"""RDAP for IP networks (RFC 7480, 9082, 9083), with IANA's bootstrap registries (RFC 9224).

Tells who holds the network an address is in: its handle, name, country, holder and abuse
mailbox, as the regional registry that the bootstrap names registers them.

- HTTPS only. The connection goes wherever ``route`` says (an egress proxy's choice, or the
  local sandbox), while SNI, the certificate check and the Host header keep the registry's own
  name: a certificate for any other name is refused.
- Redirects (registries send each other's space on) are followed by hand, at most
  ``max_redirects``, and only to HTTPS hosts that the bootstrap names.
- A body is read as a stream and capped, whatever its Content-Length says, and the whole call,
  every hop and the body included, finishes within ``timeout`` seconds.
- An abuse mailbox is given only when it looks usable: redacted or no-reply placeholders and
  contacts their registry marks as not validated are refused, with a note that says why.
"""

import contextlib
import email.utils
import ipaddress
import json
import os
import re
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from http.client import HTTPException
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import certifi
import urllib3
from urllib3.connection import HTTPSConnection
from urllib3.exceptions import HTTPError, NewConnectionError, SSLError
from urllib3.exceptions import TimeoutError as URLLib3Timeout
from urllib3.util.ssl_match_hostname import CertificateError

from hotline.integrations import tls

__all__ = [
    "BOOTSTRAP_FILES",
    "Bootstrap",
    "NetworkRecord",
    "RDAPError",
    "Route",
    "bootstrap_refresh",
    "ip_network",
]

Route = Callable[[str, int], tuple[str, int]]
"""(host, port) -> (connect_host, connect_port); raises PermissionError for a refused target."""

BOOTSTRAP_FILES = ("dns.json", "ipv4.json", "ipv6.json", "asn.json")
IANA_BOOTSTRAP_URL = "https://data.iana.org/rdap/"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
KINDS = frozenset(
    {
        "no_server",
        "not_found",
        "rate_limited",
        "server_error",
        "timeout",
        "too_large",
        "malformed",
        "redirect_refused",
        "too_many_redirects",
        "tls",
        "connect",
        "refused",
    }
)
# Failures of one server that say nothing about the next one the bootstrap names.
_TRY_NEXT_SERVER = frozenset({"connect", "tls", "server_error"})
# ARIN nests the abuse POC in the organisation's entity; deeper than this is no registry's shape.
_MAX_ENTITY_DEPTH = 4
# IANA's largest file (dns.json) is some 100 KB.
_BOOTSTRAP_MAX_BYTES = 5_000_000
_READ_CHUNK = 64 * 1024
_NOTE_LENGTH = 160

_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})"
)
_MAX_EMAIL_LENGTH = 254
# What registries and privacy services put where an address would be.
_PLACEHOLDER = re.compile(
    r"redacted|not[\s_-]*disclosed|withheld|privacy|no-?reply|do-?not-?reply", re.IGNORECASE
)
# How registries say an abuse contact failed its check: ARIN's "Unvalidated POC" remark on the
# POC, RIPE's "Abuse-mailbox validation failed." in the network's remarks.
_UNVALIDATED = re.compile(
    r"unvalidated|not\s+(?:been\s+)?validated|validation\s+(?:has\s+)?failed|invalid\s+poc",
    re.IGNORECASE,
)
_COUNTRY = re.compile(r"[A-Z]{2}")
_ASN_RANGE = re.compile(r"([0-9]{1,10})(?:-([0-9]{1,10}))?")
_DNS_LABELS = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*")


class RDAPError(Exception):
    """A lookup that gave no record; ``kind`` says which way it failed (one of KINDS)."""

    def __init__(self, kind: str, message: str, retry_after: float | None = None):
        if kind not in KINDS:
            raise ValueError(f"unknown RDAP error kind {kind!r}")
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.retry_after = retry_after


def _malformed(message: str) -> RDAPError:
    return RDAPError("malformed", message)


@dataclass(frozen=True)
class NetworkRecord:
    handle: str
    name: str
    country: str  # the holder's country as registered, "" if none
    start_address: str
    end_address: str
    cidrs: tuple[str, ...]
    abuse_email: str  # "" if the registry gave none that is usable
    abuse_note: str  # why there is no abuse_email
    holder: str  # the registrant organisation's name, "" if none
    source_url: str  # the URL that finally answered


# -- the bootstrap ---------------------------------------------------------------------------


def _parse_publication(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError("publication is not a string")
    published = datetime.fromisoformat(value)
    return published if published.tzinfo else published.replace(tzinfo=UTC)


def _check_entry(name: str, entry: str) -> None:
    if name == "ipv4.json":
        ipaddress.IPv4Network(entry)
    elif name == "ipv6.json":
        ipaddress.IPv6Network(entry)
    elif name == "asn.json":
        match = _ASN_RANGE.fullmatch(entry)
        if not match or int(match[2] or match[1]) < int(match[1]):
            raise ValueError(f"{entry!r} is not an AS number range")
    elif not _DNS_LABELS.fullmatch(entry.lower()):
        raise ValueError(f"{entry!r} is not a domain name")


def _bootstrap_services(name: str, document: object) -> list[tuple[list[str], list[str]]]:
    """The services of one bootstrap file, after checking RFC 9224's shape (ValueError if not)."""
    if not isinstance(document, dict):
        raise ValueError(f"{name}: not a JSON object")
    if document.get("version") != "1.0":
        raise ValueError(f"{name}: version {document.get('version')!r}, not '1.0'")
    try:
        _parse_publication(document.get("publication"))
    except ValueError as exc:
        raise ValueError(f"{name}: publication is not a date and time ({exc})") from None
    services = document.get("services")
    if not isinstance(services, list) or not services:
        raise ValueError(f"{name}: services is not a non-empty array")
    for service in services:
        if not (
            isinstance(service, list)
            and len(service) == 2
            and all(
                isinstance(part, list) and part and all(isinstance(item, str) for item in part)
                for part in service
            )
        ):
            raise ValueError(f"{name}: a service is not [[entries...], [base URLs...]]")
        entries, urls = service
        for url in urls:
            parts = urlsplit(url)
            if parts.scheme not in {"http", "https"} or not parts.hostname:
                raise ValueError(f"{name}: {url!r} is not an HTTP(S) base URL")
        for entry in entries:
            try:
                _check_entry(name, entry)
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from None
    return services


def _base_url(url: str) -> str:
    # RFC 9224 section 3: a base URL ends with "/"; add it where a file forgot.
    return url if url.endswith("/") else url + "/"


class Bootstrap:
    """IANA's four bootstrap registries: which RDAP servers answer for which resources."""

    def __init__(
        self,
        ip_services: Sequence[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, Sequence[str]]],
        hosts: frozenset[str],
        publication: str,
    ):
        # Longest prefix first: the first network that holds an address is the one to ask.
        self._ip_services = sorted(
            ((network, tuple(_base_url(url) for url in urls)) for network, urls in ip_services),
            key=lambda service: service[0].prefixlen,
            reverse=True,
        )
        self._hosts = hosts
        self.publication = publication

    @classmethod
    def from_directory(
        cls,
        path: Path,
        *,
        extra_ip_services: Sequence[tuple[Sequence[str], Sequence[str]]] = (),
    ) -> "Bootstrap":
        """Load dns.json, ipv4.json, ipv6.json and asn.json from ``path`` (ValueError if one is
        not RFC 9224's shape). ``extra_ip_services`` adds (CIDRs, base URLs) entries, such as
        the documentation ranges that the local sandbox answers for."""
        documents = {name: json.loads((Path(path) / name).read_bytes()) for name in BOOTSTRAP_FILES}
        services = {name: _bootstrap_services(name, doc) for name, doc in documents.items()}
        ip_entries = [
            *services["ipv4.json"],
            *services["ipv6.json"],
            *((list(cidrs), list(urls)) for cidrs, urls in extra_ip_services),
        ]
        ip_services = [
            (ipaddress.ip_network(cidr), urls) for cidrs, urls in ip_entries for cidr in cidrs
        ]
        every_url = [
            url
            for entries in (*services.values(), ip_entries)
            for _, urls in entries
            for url in urls
        ]
        hosts = frozenset(host for host in (urlsplit(url).hostname for url in every_url) if host)
        publication = max(
            (doc["publication"] for doc in documents.values()), key=_parse_publication
        )
        return cls(ip_services, hosts, publication)

    def servers_for_ip(self, address: str) -> list[str]:
        """The HTTPS base URLs of the longest prefix that holds ``address`` ([] if none)."""
        ip = ipaddress.ip_address(address)
        for network, urls in self._ip_services:
            if ip in network:
                return [url for url in urls if url.startswith("https://")]
        return []

    def server_hosts(self) -> frozenset[str]:
        """Every host name the bootstrap names: the hosts a redirect may go to."""
        return self._hosts


# -- HTTPS ------------------------------------------------------------------------------------


def _direct(host: str, port: int) -> tuple[str, int]:
    return host, port


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _transport_error(exc: Exception, url: str, *, expired: bool) -> RDAPError:
    if expired:
        return RDAPError("timeout", f"{url}: no answer within the time allowed")
    if isinstance(exc, NewConnectionError):
        return RDAPError("connect", f"{url}: cannot connect: {exc}")
    if isinstance(exc, URLLib3Timeout | TimeoutError):
        return RDAPError("timeout", f"{url}: no answer within the time allowed")
    if isinstance(exc, ssl.SSLError | SSLError | CertificateError):
        return RDAPError("tls", f"{url}: TLS failed: {exc}")
    return RDAPError("connect", f"{url}: connection failed: {exc}")


class _Client:
    """The HTTPS GETs of one call, which share its deadline, limits and redirect allowlist."""

    def __init__(
        self,
        *,
        route: Route,
        ca_file: str | None,
        timeout: float,
        max_bytes: int,
        max_redirects: int,
        user_agent: str,
        allowed_hosts: frozenset[str],
    ):
        self.route = route
        self.ca_file = ca_file or certifi.where()
        self.deadline = time.monotonic() + timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.user_agent = user_agent
        self.allowed_hosts = allowed_hosts

    def _remaining(self, url: str) -> float:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise RDAPError("timeout", f"{url}: no answer within the time allowed")
        return remaining

    def get(self, url: str, *, accept: str) -> tuple[bytes, str]:
        """The body of a 200 answer to GET ``url`` after redirects, and the URL that gave it."""
        redirects = 0
        while True:
            status, headers, body = self._request(url, accept=accept)
            if status not in REDIRECT_STATUSES:
                break
            if redirects == self.max_redirects:
                raise RDAPError(
                    "too_many_redirects", f"{url}: more than {self.max_redirects} redirects"
                )
            url = self._redirect_target(url, headers.get("Location"))
            redirects += 1
        if status == 200:
            return body, url
        if status == 404:
            raise RDAPError("not_found", f"{url}: the registry has no such object (404)")
        retry_after = _retry_after(headers.get("Retry-After"))
        if status == 429:
            raise RDAPError("rate_limited", f"{url}: rate limited (429)", retry_after=retry_after)
        # A 503 may say when to come back, too.
        raise RDAPError("server_error", f"{url}: answered HTTP {status}", retry_after=retry_after)

    def _redirect_target(self, url: str, location: str | None) -> str:
        if not location:
            raise RDAPError("server_error", f"{url}: a redirect without a Location")
        target = urljoin(url, location.strip())
        parts = urlsplit(target)
        if parts.scheme != "https":
            raise RDAPError("redirect_refused", f"{url}: redirect to {target} is not HTTPS")
        if parts.username is not None or parts.hostname not in self.allowed_hosts:
            raise RDAPError(
                "redirect_refused", f"{url}: redirect to {target}, not a bootstrap RDAP server"
            )
        return target

    def _request(self, url: str, *, accept: str) -> tuple[int, urllib3.HTTPHeaderDict, bytes]:
        parts = urlsplit(url)
        host = parts.hostname or ""
        try:
            port = parts.port or 443
        except ValueError:
            raise _malformed(f"{url}: not a valid port") from None
        try:
            connect_host, connect_port = self.route(host, port)
        except PermissionError as exc:
            raise RDAPError("refused", f"{url}: the target is refused: {exc}") from None
        remaining = self._remaining(url)
        host_header = f"[{host}]" if ":" in host else host
        # The connection goes to the routed address; SNI and the certificate check keep the
        # name in the URL.
        connection = HTTPSConnection(
            connect_host,
            connect_port,
            timeout=remaining,
            server_hostname=host,
            ssl_context=tls.verifying_context(self.ca_file, "rdap"),
        )
        # Socket timeouts bound each read; a watchdog bounds them all, so a server that
        # trickles its headers or body cannot hold the call past the deadline.
        expired = threading.Event()

        def expire(sock: socket.socket) -> None:
            expired.set()
            with contextlib.suppress(OSError):
                # The plain socket's shutdown, which wakes a read blocked inside TLS.
                socket.socket.shutdown(sock, socket.SHUT_RDWR)

        watchdog = response = None
        try:
            connection.connect()
            watchdog = threading.Timer(self._remaining(url), expire, (connection.sock,))
            watchdog.daemon = True
            watchdog.start()
            connection.request(
                "GET",
                (parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
                headers={
                    "Host": host_header if port == 443 else f"{host_header}:{port}",
                    "Accept": accept,
                    "Accept-Encoding": "identity",
                    "User-Agent": self.user_agent,
                },
                preload_content=False,
                decode_content=False,
            )
            response = connection.getresponse()
            body = self._read_body(response, url) if response.status == 200 else b""
            if expired.is_set():
                raise RDAPError("timeout", f"{url}: no answer within the time allowed")
            return response.status, response.headers, body
        except (HTTPError, HTTPException, OSError, CertificateError) as exc:
            raise _transport_error(exc, url, expired=expired.is_set()) from None
        finally:
            if watchdog is not None:
                watchdog.cancel()
            if response is not None:
                response.close()
            connection.close()

    def _read_body(self, response: urllib3.BaseHTTPResponse, url: str) -> bytes:
        chunks, size = [], 0
        while size <= self.max_bytes:
            chunk = response.read(min(_READ_CHUNK, self.max_bytes + 1 - size))
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            size += len(chunk)
        raise RDAPError("too_large", f"{url}: the answer is larger than {self.max_bytes} bytes")


def _json(body: bytes, url: str) -> object:
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise _malformed(f"{url}: not JSON ({str(exc)[:_NOTE_LENGTH]})") from None


# -- reading the answer -----------------------------------------------------------------------


def _field(obj: dict, key: str, kind: type, default):
    """``obj[key]`` if it is a ``kind``, ``default`` if absent or null, else malformed."""
    value = obj.get(key)
    if value is None:
        return default
    if not isinstance(value, kind):
        raise _malformed(f"{key!r} is {type(value).__name__}, not {kind.__name__}")
    return value


def _dicts(obj: dict, key: str) -> list[dict]:
    items = _field(obj, key, list, [])
    if not all(isinstance(item, dict) for item in items):
        raise _malformed(f"{key!r} holds something other than objects")
    return items


def _strings(obj: dict, key: str) -> list[str]:
    items = _field(obj, key, list, [])
    if not all(isinstance(item, str) for item in items):
        raise _malformed(f"{key!r} holds something other than strings")
    return items


def _entities(top: list[dict]) -> Iterator[dict]:
    """Every entity, nested ones included, nearest first, to a bounded depth."""
    level = top
    for _ in range(_MAX_ENTITY_DEPTH):
        yield from level
        level = [nested for entity in level for nested in _dicts(entity, "entities")]


def _roles(entity: dict) -> set[str]:
    return {role.lower() for role in _strings(entity, "roles")}


def _remarks(obj: dict) -> list[str]:
    texts = []
    for remark in _dicts(obj, "remarks"):
        lines = [_field(remark, "title", str, ""), *_strings(remark, "description")]
        texts.append("\n".join(line for line in lines if line))
    return texts


def _vcard(entity: dict) -> list[tuple[str, dict, object]]:
    """jCard (RFC 7095) properties as (name, parameters, first value)."""
    card = entity.get("vcardArray")
    if card is None:
        return []
    if not (isinstance(card, list) and len(card) == 2 and card[0] == "vcard"):
        raise _malformed("vcardArray is not ['vcard', [properties]]")
    if not isinstance(card[1], list):
        raise _malformed("vcardArray's properties are not an array")
    properties = []
    for item in card[1]:
        if not (
            isinstance(item, list)
            and len(item) >= 4
            and isinstance(item[0], str)
            and isinstance(item[1], dict)
        ):
            raise _malformed("a jCard property is not [name, parameters, type, value]")
        properties.append((item[0].lower(), item[1], item[3]))
    return properties


def _vcard_text(entity: dict, name: str) -> str:
    for property_name, _, value in _vcard(entity):
        if property_name == name and isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def _emails(entity: dict) -> list[str]:
    """The entity's e-mail addresses, those typed "abuse" (RIPE) first."""
    typed, untyped = [], []
    for name, parameters, value in _vcard(entity):
        if name != "email":
            continue
        if not isinstance(value, str):
            raise _malformed("a jCard email is not text")
        kinds = parameters.get("type", [])
        kinds = [kinds] if isinstance(kinds, str) else kinds
        is_abuse = isinstance(kinds, list) and "abuse" in [str(k).lower() for k in kinds]
        (typed if is_abuse else untyped).append(value.strip())
    return typed + untyped


def _quote(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= _NOTE_LENGTH else line[: _NOTE_LENGTH - 1] + "…"


def _failed_checks(network_remarks: list[str]) -> list[str]:
    """The network's remarks that say an abuse mailbox failed validation (RIPE's way)."""
    return [text for text in network_remarks if _UNVALIDATED.search(text)]


def _rejection(address: str, entity_remark: str | None, failed: list[str]) -> str:
    """Why ``address`` is no usable abuse mailbox, or "" if it is."""
    if _PLACEHOLDER.search(address):
        return f"placeholder rejected: {_quote(address)}"
    if len(address) > _MAX_EMAIL_LENGTH or not _EMAIL.fullmatch(address):
        return f"not an e-mail address: {_quote(address)}"
    if entity_remark is not None:
        return f"unvalidated: {_quote(entity_remark)}"
    # A remark that names addresses condemns those; one that names none, every abuse address.
    for text in failed:
        if address.lower() in text.lower() or "@" not in text:
            return f"unvalidated: {_quote(text)}"
    return ""


def _abuse_contact(entities: list[dict], network_remarks: list[str]) -> tuple[str, str]:
    failed = _failed_checks(network_remarks)
    first_rejection = ""
    for entity in _entities(entities):
        if "abuse" not in _roles(entity):
            continue
        entity_remark = next((r for r in _remarks(entity) if _UNVALIDATED.search(r)), None)
        addresses = _emails(entity)
        if not addresses:
            first_rejection = first_rejection or "the abuse contact has no e-mail address"
        for address in addresses:
            reason = _rejection(address, entity_remark, failed)
            if not reason:
                return address, ""
            first_rejection = first_rejection or reason
    return "", first_rejection or "no abuse contact"


def _holder(entities: list[dict]) -> str:
    """The registrant's name; RIPE also lists maintainers as registrants, so organisations first."""
    registrants = [entity for entity in _entities(entities) if "registrant" in _roles(entity)]
    registrants.sort(key=lambda entity: _vcard_text(entity, "kind").lower() != "org")
    names = (_vcard_text(entity, "fn") for entity in registrants)
    return next((name for name in names if name), "")


def _address(document: dict, key: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = _field(document, key, str, "")
    if not value:
        return None
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        raise _malformed(f"{key} {_quote(value)!r} is not an IP address") from None


def _cidrs(document: dict, start, end) -> tuple[str, ...]:
    """cidr0_cidrs (the cidr0 extension) if given, else the range's covering prefixes."""
    cidrs = []
    for item in _dicts(document, "cidr0_cidrs"):
        prefix = item.get("v4prefix") or item.get("v6prefix")
        length = item.get("length")
        if not isinstance(prefix, str) or type(length) is not int:
            raise _malformed("a cidr0_cidrs entry is not {v4prefix|v6prefix, length}")
        try:
            cidrs.append(str(ipaddress.ip_network(f"{prefix}/{length}")))
        except ValueError:
            raise _malformed(f"cidr0_cidrs has {_quote(prefix)}/{length}, not a prefix") from None
    if cidrs or start is None or end is None:
        return tuple(cidrs)
    return tuple(str(net) for net in ipaddress.summarize_address_range(start, end))


def _holds(start, end, ip) -> bool:
    """Whether the answer's range holds the address asked about (one not given is no evidence)."""
    if start is None or end is None:
        return True
    return start.version == end.version == ip.version and start <= ip <= end


def _network_record(document: object, ip, url: str) -> NetworkRecord:
    if not isinstance(document, dict):
        raise _malformed(f"{url}: the answer is not a JSON object")
    object_class = document.get("objectClassName")
    if object_class != "ip network":
        raise _malformed(f"{url}: objectClassName is {object_class!r}, not 'ip network'")
    try:
        start, end = _address(document, "startAddress"), _address(document, "endAddress")
        if not _holds(start, end, ip):
            raise _malformed(f"the answer is for {start} - {end}, which does not hold {ip}")
        entities = _dicts(document, "entities")
        abuse_email, abuse_note = _abuse_contact(entities, _remarks(document))
        country = _field(document, "country", str, "").strip().upper()
        return NetworkRecord(
            handle=_field(document, "handle", str, "").strip(),
            name=_field(document, "name", str, "").strip(),
            country=country if _COUNTRY.fullmatch(country) else "",
            start_address=str(start or ""),
            end_address=str(end or ""),
            cidrs=_cidrs(document, start, end),
            abuse_email=abuse_email,
            abuse_note=abuse_note,
            holder=_holder(entities),
            source_url=url,
        )
    except RDAPError as exc:
        raise _malformed(f"{url}: {exc.message}") from None


def _lookup_address(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    ip = ipaddress.ip_address(address)
    # An IPv4-mapped IPv6 address is the IPv4 host; the IPv4 registry answers for it.
    return getattr(ip, "ipv4_mapped", None) or ip


def ip_network(
    address: str,
    *,
    bootstrap: Bootstrap,
    route: Route = _direct,
    ca_file: str | None = None,
    timeout: float = 5.0,
    max_bytes: int = 1_000_000,
    max_redirects: int = 3,
    user_agent: str = "hotline-rdap",
) -> NetworkRecord:
    """The registry's record of the network that holds ``address`` (RFC 9082 ``ip/``).

    Raises ValueError if ``address`` is no IP address, RDAPError for every failure of the
    lookup. ``timeout`` bounds the whole call; the next server the bootstrap names is tried
    only when one could not be reached or failed (connect, tls, server_error)."""
    ip = _lookup_address(address)
    servers = bootstrap.servers_for_ip(str(ip))
    if not servers:
        raise RDAPError("no_server", f"the bootstrap names no HTTPS RDAP server for {ip}")
    client = _Client(
        route=route,
        ca_file=ca_file,
        timeout=timeout,
        max_bytes=max_bytes,
        max_redirects=max_redirects,
        user_agent=user_agent,
        allowed_hosts=bootstrap.server_hosts(),
    )
    failure = None
    for base in servers:
        try:
            body, url = client.get(f"{base}ip/{ip}", accept="application/rdap+json")
        except RDAPError as exc:
            if exc.kind not in _TRY_NEXT_SERVER:
                raise
            failure = exc
            continue
        return _network_record(_json(body, url), ip, url)
    raise failure


# -- refreshing the bootstrap -----------------------------------------------------------------


def _write_atomically(path: Path, content: bytes) -> None:
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def https_get(
    url: str,
    *,
    route: Route = _direct,
    ca_file: str | None = None,
    timeout: float = 30.0,
    max_bytes: int,
    accept: str,
) -> bytes:
    """One HTTPS download with this client's guarantees (routing with the host's own SNI, the
    whole-call deadline, the size cap, redirects only within the same host): for the data files
    the service ships and refreshes by command."""
    if urlsplit(url).scheme != "https":
        raise ValueError(f"downloads are over HTTPS only, not from {url}")
    client = _Client(
        route=route,
        ca_file=ca_file,
        timeout=timeout,
        max_bytes=max_bytes,
        max_redirects=3,
        user_agent="hotline-data-refresh",
        allowed_hosts=frozenset({urlsplit(url).hostname}),
    )
    body, _url = client.get(url, accept=accept)
    return body


def file_replace(path: Path, content: bytes) -> bool:
    """Write ``content`` to ``path`` atomically if it differs; True if it did."""
    path = Path(path)
    if path.exists() and path.read_bytes() == content:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomically(path, content)
    return True


def bootstrap_refresh(
    directory: Path,
    *,
    route: Route = _direct,
    ca_file: str | None = None,
    timeout: float = 30.0,
    base_url: str = IANA_BOOTSTRAP_URL,
) -> list[str]:
    """Download the four bootstrap files from ``base_url``, check each has RFC 9224's shape,
    and replace those that changed in ``directory``, each atomically, as the bytes IANA served.

    Returns the names of the files replaced. Nothing is written unless all four are valid; an
    invalid one raises RDAPError("malformed"), a failed download the kind of its failure."""
    if urlsplit(base_url).scheme != "https":
        raise ValueError(f"the bootstrap is fetched over HTTPS only, not from {base_url}")
    base = _base_url(base_url)
    downloaded = {}
    for name in BOOTSTRAP_FILES:
        url = base + name
        body = https_get(
            url,
            route=route,
            ca_file=ca_file,
            timeout=timeout,
            max_bytes=_BOOTSTRAP_MAX_BYTES,
            accept="application/json",
        )
        try:
            _bootstrap_services(name, _json(body, url))
        except ValueError as exc:
            raise _malformed(f"{url}: {exc}") from None
        downloaded[name] = body
    return [name for name, body in downloaded.items() if file_replace(Path(directory) / name, body)]
