"""A real HTTPS RDAP server on 127.0.0.1, for the tests and the local demo.

It answers RFC 9082 ``ip/<address>`` lookups, under any base path and for any Host, from a table
of CIDR -> entry: the smallest CIDR that holds the address decides. Its certificate comes from
its own trustme CA (or one it is given) and names the registries' hosts, so a client reaches it
with the names the bootstrap gives, routed to this port, and checks the certificate as it would
in production.

Entries (``delay`` can precede any of the others):
    {"rdap": {...}}                          that RDAP object, as application/rdap+json
    {"status": 429, "headers": {...}}        that status, with an RDAP error body
    {"redirect": "https://..."}              302 (or "status") to that URL
    {"raw": "not json{"}                     that body, as it is
    {"oversize": 2_000_000}                  a body that large, with no Content-Length
    {"delay": 5.0, ...}                      the rest of the entry, that many seconds later
    {"trickle": 0.2, ...}                    its body one byte at a time, this far apart
An entry with nothing but a delay or a trickle answers a bare ip network object. ``files`` are
served as they are at their exact paths (bootstrap files for the refresh command). With
``data_file``, the table is also read from that JSON file whenever its modification time
changes, so a running demo can be given new networks by editing it.
"""

import contextlib
import ipaddress
import json
import re
import ssl
import tempfile
import threading
from collections.abc import Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

import trustme

__all__ = ["DEFAULT_NAMES", "RDAPServer"]

DEFAULT_NAMES = (
    "rdap.example.net",
    "rdap.arin.net",
    "rdap.db.ripe.net",
    "rdap.apnic.net",
    "rdap.lacnic.net",
    "rdap.afrinic.net",
    # Named by no bootstrap file: a redirect there must be refused.
    "rdap.elsewhere.example",
)
RDAP_JSON = "application/rdap+json"
CA_FILE_NAME = "ca.pem"
_IP_PATH = re.compile(r"(?:/.*)?/ip/(?P<address>[^/]+)")
_CHUNK = 64 * 1024
# A client that connects and says nothing holds its thread no longer than this.
_CLIENT_TIMEOUT = 10.0


def _networks(mapping: Mapping[str, dict]) -> dict:
    return {ipaddress.ip_network(cidr): entry for cidr, entry in mapping.items()}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() must not wait for a delayed answer

    def __init__(self, address: tuple[str, int], rdap: "RDAPServer"):
        self.rdap = rdap
        super().__init__(address, _Handler)

    def finish_request(self, request, client_address):
        # The TLS handshake runs in the request's own thread, so a client that never completes
        # it holds no one else up.
        request.settimeout(_CLIENT_TIMEOUT)
        try:
            connection = self.rdap._tls.wrap_socket(request, server_side=True)
        except OSError:  # the client refused the certificate, or went away
            return
        # A client that stops reading (an oversize body, a timeout) is no server error.
        with contextlib.suppress(OSError), connection:
            self.RequestHandlerClass(connection, client_address, self)


class _Handler(BaseHTTPRequestHandler):
    server_version = "sandbox-rdap"
    timeout = _CLIENT_TIMEOUT

    def log_message(self, format, *args):  # tests read .requests instead
        pass

    def do_GET(self):
        rdap: RDAPServer = self.server.rdap
        rdap._record(self.headers.get("Host", ""), self.path)
        path = self.path.split("?", 1)[0]
        if path in rdap.files:
            self._send(200, rdap.files[path], "application/json")
            return
        match = _IP_PATH.fullmatch(path)
        if match is None:
            self._error(404, "Not Found", f"nothing at {path}")
            return
        try:
            address = ipaddress.ip_address(unquote(match["address"]))
        except ValueError:
            self._error(400, "Bad Request", f"{match['address']} is not an IP address")
            return
        found = rdap._find(address)
        if found is None:
            self._error(404, "Not Found", f"no network holds {address}")
            return
        self._answer(*found)

    def _answer(self, network, entry: dict) -> None:
        if entry.get("delay") and self.server.rdap._stopping.wait(entry["delay"]):
            return  # stopped while waiting: no answer
        status = entry.get("status")
        headers = entry.get("headers", {})
        if "redirect" in entry:
            self._send(status or 302, b"", RDAP_JSON, {**headers, "Location": entry["redirect"]})
        elif "raw" in entry:
            raw = entry["raw"]
            body = raw.encode() if isinstance(raw, str) else raw
            self._send(status or 200, body, RDAP_JSON, headers)
        elif "oversize" in entry:
            self._send_oversize(entry["oversize"])
        elif "rdap" in entry:
            body = json.dumps(entry["rdap"]).encode()
            self._send(status or 200, body, RDAP_JSON, headers, entry.get("trickle"))
        elif status:
            self._error(status, self.responses.get(status, ("Error",))[0], "", headers)
        else:
            bare = {
                "objectClassName": "ip network",
                "handle": str(network),
                "startAddress": str(network[0]),
                "endAddress": str(network[-1]),
            }
            self._send(200, json.dumps(bare).encode(), RDAP_JSON, headers, entry.get("trickle"))

    def _send(self, status, body: bytes, content_type: str, headers=None, trickle=None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, str(value))
        self.end_headers()
        if not trickle:
            self.wfile.write(body)
            return
        for offset in range(len(body)):
            if self.server.rdap._stopping.wait(trickle):
                return
            self.wfile.write(body[offset : offset + 1])
            self.wfile.flush()

    def _error(self, status: int, title: str, description: str, headers=None) -> None:
        body = {"errorCode": status, "title": title, "description": [description]}
        self._send(status, json.dumps(body).encode(), RDAP_JSON, headers)

    def _send_oversize(self, size: int) -> None:
        # Valid JSON once complete, sent without a Content-Length: only counting what arrives
        # tells a client it is too large.
        head, tail = b'{"objectClassName": "ip network", "remarks": "', b'"}'
        self.send_response(200)
        self.send_header("Content-Type", RDAP_JSON)
        self.end_headers()
        self.wfile.write(head)
        left = max(0, size - len(head) - len(tail))
        while left:
            self.wfile.write(b"x" * min(_CHUNK, left))
            left -= min(_CHUNK, left)
        self.wfile.write(tail)


class RDAPServer:
    """An HTTPS RDAP server on 127.0.0.1 (a context manager; port 0 picks a free port).

    ``ca_file`` is the PEM of the CA that signed its certificate (for ``names``): ``ca``, or one
    of its own; written to ``ca_dir`` or to a temporary directory removed on stop().
    ``requests`` lists (Host, path) of every request received."""

    def __init__(
        self,
        networks: Mapping[str, dict] | None = None,
        *,
        port: int = 0,
        ca_dir: Path | None = None,
        ca: trustme.CA | None = None,
        names: Sequence[str] = DEFAULT_NAMES,
        data_file: Path | None = None,
        files: Mapping[str, bytes] | None = None,
    ):
        self._lock = threading.Lock()
        self._networks = _networks(networks or {})
        self._data_file = Path(data_file) if data_file else None
        self._data_mtime: int | None = None
        self._data_networks: dict = {}
        self.files = dict(files or {})
        self.requests: list[tuple[str, str]] = []
        self._port = port
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.address: tuple[str, int] = ("127.0.0.1", port)

        ca = ca or trustme.CA()
        self._tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert(*names).configure_cert(self._tls)
        self._temporary = None if ca_dir else tempfile.TemporaryDirectory(prefix="rdap-sandbox-")
        directory = Path(ca_dir) if ca_dir else Path(self._temporary.name)
        directory.mkdir(parents=True, exist_ok=True)
        self.ca_file = str(directory / CA_FILE_NAME)
        ca.cert_pem.write_to_path(self.ca_file)

    def set(self, cidr: str, entry: dict) -> None:
        """Answer lookups in ``cidr`` with ``entry`` from now on."""
        with self._lock:
            self._networks[ipaddress.ip_network(cidr)] = entry

    def _record(self, host: str, path: str) -> None:
        with self._lock:
            self.requests.append((host, path))

    def _reload_data_file(self) -> None:
        try:
            mtime = self._data_file.stat().st_mtime_ns
        except FileNotFoundError:
            self._data_mtime, self._data_networks = None, {}
            return
        if mtime != self._data_mtime:
            self._data_networks = _networks(json.loads(self._data_file.read_text()))
            self._data_mtime = mtime

    def _find(self, address) -> tuple | None:
        """The smallest network that holds ``address``, and its entry."""
        with self._lock:
            if self._data_file:
                self._reload_data_file()
            table = {**self._data_networks, **self._networks}
        holding = [network for network in table if address in network]
        if not holding:
            return None
        network = max(holding, key=lambda network: network.prefixlen)
        return network, table[network]

    def start(self) -> "RDAPServer":
        self._stopping.clear()
        self._server = _Server(("127.0.0.1", self._port), self)
        self.address = self._server.server_address[:2]
        # A short poll keeps stop() quick: shutdown() waits for the loop to notice.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="rdap-sandbox", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = self._thread = None
        if self._temporary is not None:
            self._temporary.cleanup()
            self._temporary = None

    def __enter__(self) -> "RDAPServer":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
