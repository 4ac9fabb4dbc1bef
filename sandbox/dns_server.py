"""A small DNS server on 127.0.0.1 (UDP and TCP) that answers from a table of records.

It answers like a recursive resolver: a CNAME answer carries the chain and the target's records,
an unknown name is NXDOMAIN. Each name's record (also the JSON zone file's format, a dict of
name -> record)::

    {"A": ["198.51.100.10"], "AAAA": ["2001:db8::10"], "CNAME": "edge.cdn.example",
     "TXT": ["64500 | 198.51.100.0/24 | NL | ripencc | 2020-01-01"],
     "rcode": "SERVFAIL" | "NXDOMAIN" | "REFUSED", "delay": 5.0}

Names are case-insensitive, without the trailing dot; ``{}`` is a name with no records. A zone
file is read again whenever it changes, so another command can move a host while it serves::

    python -m sandbox.dns_server serve --zone-file var/dns-zone.json --port 8053
    python -m sandbox.dns_server set var/dns-zone.json www.example.test --a 198.51.100.20
"""

import argparse
import contextlib
import ipaddress
import json
import logging
import os
import socket
import socketserver
import struct
import tempfile
import threading
from pathlib import Path

from dnslib import AAAA, CNAME, QTYPE, RCODE, RR, TXT, A, DNSError, DNSRecord

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"
TTL = 60
# Long enough for any timeout test, short enough that a forgotten delay cannot hang a run.
MAX_DELAY = 30.0
RCODES = ("SERVFAIL", "NXDOMAIN", "REFUSED")
# Longer chains are cut (a loop is cut at its first repeat), as recursive resolvers do.
MAX_CHAIN = 32
_RDATA = {"A": A, "AAAA": AAAA, "TXT": TXT}


def record_check(record: dict) -> dict:
    """A record in the format above, with its names lower-case; ValueError says what is wrong."""
    unknown = set(record) - {"A", "AAAA", "CNAME", "TXT", "rcode", "delay"}
    if unknown:
        raise ValueError(f"unknown record fields {sorted(unknown)}")
    checked = dict(record)
    for rtype, version in (("A", 4), ("AAAA", 6)):
        if rtype in record:
            addresses = record[rtype]
            if not isinstance(addresses, list) or not all(
                isinstance(address, str) and _ip_version(address) == version
                for address in addresses
            ):
                raise ValueError(f"{rtype} must be a list of IPv{version} addresses: {addresses!r}")
    if "CNAME" in record:
        if not isinstance(record["CNAME"], str) or not record["CNAME"].strip("."):
            raise ValueError(f"CNAME must be a host name: {record['CNAME']!r}")
        if set(record) & {"A", "AAAA", "TXT"}:
            raise ValueError("a name with a CNAME has no other records")
        checked["CNAME"] = name_key(record["CNAME"])
    texts = record.get("TXT", [])
    if not isinstance(texts, list) or not all(
        isinstance(text, str) and len(text.encode()) <= 255 for text in texts
    ):
        raise ValueError(f"TXT must be a list of strings of at most 255 bytes: {texts!r}")
    if record.get("rcode", "SERVFAIL") not in RCODES:
        raise ValueError(f"rcode must be one of {', '.join(RCODES)}: {record['rcode']!r}")
    delay = record.get("delay", 0)
    if isinstance(delay, bool) or not isinstance(delay, int | float) or not 0 <= delay <= MAX_DELAY:
        raise ValueError(f"delay must be a number of seconds from 0 to {MAX_DELAY}: {delay!r}")
    return checked


def name_key(name: str) -> str:
    return name.lower().rstrip(".")


def zone_file_read(path: Path) -> dict[str, dict]:
    """The records of a zone file; a missing file is an empty zone."""
    try:
        entries = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    if not isinstance(entries, dict):
        raise ValueError(f"{path}: a zone file is a JSON object of name -> record")
    records = {}
    for name, record in entries.items():
        if not isinstance(record, dict):
            raise ValueError(f"{path}: the record of {name!r} is not a JSON object")
        try:
            records[name_key(name)] = record_check(record)
        except ValueError as error:
            raise ValueError(f"{path}: {name}: {error}") from None
    return records


def zone_file_set(path: Path, name: str, **record) -> None:
    """Replace one name's record in a zone file, atomically (a reader sees the old or the new
    file, never half of one). Concurrent writers: the last one wins."""
    path = Path(path)
    records = zone_file_read(path)
    records[name_key(name)] = record_check(record)
    with tempfile.NamedTemporaryFile(
        "w", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False
    ) as temporary:
        json.dump(records, temporary, indent=2, sort_keys=True)
        temporary.write("\n")
    os.replace(temporary.name, path)


class DNSServer:
    """Serves ``records`` (or a zone file, read again when it changes) on 127.0.0.1.

    ``port=0`` takes a free port, the same for UDP and TCP. ``queries`` lists (name, type) of
    every query received, in order, for tests and benchmarks that count outside queries.
    """

    def __init__(
        self, records: dict | None = None, *, port: int = 0, zone_file: Path | None = None
    ):
        if records is not None and zone_file is not None:
            raise ValueError("give records or a zone file, not both")
        self._lock = threading.Lock()
        self._records = {name_key(name): record_check(r) for name, r in (records or {}).items()}
        self._zone_file = Path(zone_file) if zone_file is not None else None
        self._zone_version: tuple[int, int, int] | None = None
        self._port = port
        self._servers: list[socketserver.BaseServer] = []
        self._stopping = threading.Event()
        self.queries: list[tuple[str, str]] = []
        self._zone_reload()

    @property
    def address(self) -> tuple[str, int]:
        if not self._servers:
            raise RuntimeError("the DNS server is not started")
        return HOST, self._servers[0].server_address[1]

    def set(self, name: str, **record) -> None:
        """Replace one name's record while serving (in the zone file, when serving one)."""
        if self._zone_file is not None:
            zone_file_set(self._zone_file, name, **record)
            self._zone_reload()
            return
        checked = record_check(record)
        with self._lock:
            self._records[name_key(name)] = checked

    def start(self) -> None:
        if self._servers:
            raise RuntimeError("the DNS server is already started")
        self._servers = _bind(self._port)
        for server in self._servers:
            server.answer = self._answer
            threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            ).start()

    def stop(self) -> None:
        # Delayed answers wake up and are dropped; nothing waits for them.
        self._stopping.set()
        for server in self._servers:
            server.shutdown()
            server.server_close()

    def __enter__(self) -> "DNSServer":
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def _zone_reload(self) -> None:
        if self._zone_file is None:
            return
        try:
            status = self._zone_file.stat()
        except FileNotFoundError:
            version = None
        else:
            version = (status.st_mtime_ns, status.st_ino, status.st_size)
        with self._lock:
            if version == self._zone_version:
                return
            try:
                self._records = zone_file_read(self._zone_file)
            except (ValueError, OSError) as error:
                # A bad edit leaves the last good zone in place.
                logger.warning("zone file not loaded: %s", error)
            self._zone_version = version

    def _record(self, name: str) -> dict | None:
        with self._lock:
            return self._records.get(name)

    def _answer(self, request: DNSRecord) -> DNSRecord | None:
        """The reply to ``request``, or None when the server stopped while delaying it."""
        qname = name_key(str(request.q.qname))
        qtype = QTYPE[request.q.qtype]
        with self._lock:
            self.queries.append((qname, qtype))
        self._zone_reload()
        reply = request.reply()
        name, seen = qname, set()
        while True:
            record = self._record(name)
            if record is None:
                reply.header.rcode = RCODE.NXDOMAIN
                return reply
            if self._stopping.wait(record.get("delay", 0)):
                return None
            if "rcode" in record:
                if record["rcode"] == "NXDOMAIN":
                    reply.header.rcode = RCODE.NXDOMAIN
                    return reply
                failure = request.reply()
                failure.header.rcode = getattr(RCODE, record["rcode"])
                return failure
            # The asked name keeps the case it was asked in, as DNS servers answer.
            owner = request.q.qname if name == qname else name
            target = record.get("CNAME")
            if target:
                reply.add_answer(RR(owner, QTYPE.CNAME, rdata=CNAME(target), ttl=TTL))
                if qtype == "CNAME":
                    return reply
                seen.add(name)
                name = target
                if name in seen or len(seen) >= MAX_CHAIN:
                    return reply
                continue
            for value in record.get(qtype, []) if qtype in _RDATA else []:
                reply.add_answer(
                    RR(owner, getattr(QTYPE, qtype), rdata=_RDATA[qtype](value), ttl=TTL)
                )
            return reply


class _UDPServer(socketserver.ThreadingUDPServer):
    daemon_threads = True


class _TCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        tcp = self.server.socket_type == socket.SOCK_STREAM
        try:
            data = _tcp_message(self.request) if tcp else self.request[0]
            request = DNSRecord.parse(data)
        except (DNSError, OSError, ValueError):
            return  # not a DNS query, or the client went away
        reply = self.server.answer(request)
        if reply is None:
            return
        wire = reply.pack()
        try:
            if tcp:
                self.request.sendall(struct.pack("!H", len(wire)) + wire)
            else:
                self.request[1].sendto(wire, self.client_address)
        except OSError:
            pass  # the client, or the server, is gone


def _tcp_message(connection: socket.socket) -> bytes:
    connection.settimeout(5)
    (length,) = struct.unpack("!H", _receive(connection, 2))
    return _receive(connection, length)


def _receive(connection: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        if not chunk:
            raise ValueError("connection closed mid-message")
        data += chunk
    return data


def _bind(port: int) -> list[socketserver.BaseServer]:
    """UDP and TCP servers on one port; for port 0, a free port that both can take."""
    for _attempt in range(20):
        udp = _UDPServer((HOST, port), _Handler)
        try:
            return [udp, _TCPServer((HOST, udp.server_address[1]), _Handler)]
        except OSError:
            udp.server_close()
            if port:
                raise
    raise OSError("no free port for both UDP and TCP")


def _ip_version(text: str) -> int | None:
    try:
        return ipaddress.ip_address(text).version
    except ValueError:
        return None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox.dns_server", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve a zone file until interrupted")
    serve.add_argument("--zone-file", type=Path, required=True)
    serve.add_argument("--port", type=int, default=8053)
    change = commands.add_parser("set", help="replace one name's record in a zone file")
    change.add_argument("zone_file", type=Path)
    change.add_argument("name")
    change.add_argument("--a", action="append", dest="A", metavar="IPV4")
    change.add_argument("--aaaa", action="append", dest="AAAA", metavar="IPV6")
    change.add_argument("--cname", dest="CNAME", metavar="TARGET")
    change.add_argument("--txt", action="append", dest="TXT", metavar="TEXT")
    change.add_argument("--rcode", choices=RCODES)
    change.add_argument("--delay", type=float)
    arguments = parser.parse_args(argv)
    if arguments.command == "set":
        fields = ("A", "AAAA", "CNAME", "TXT", "rcode", "delay")
        record = {field: getattr(arguments, field) for field in fields}
        zone_file_set(
            arguments.zone_file,
            arguments.name,
            **{field: value for field, value in record.items() if value is not None},
        )
        return
    with DNSServer(zone_file=arguments.zone_file, port=arguments.port) as server:
        host, port = server.address
        print(f"DNS server on {host}:{port} (UDP and TCP), zone {arguments.zone_file}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
