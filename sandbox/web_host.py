"""A real web host on 127.0.0.1 (HTTP, and HTTPS with a trustme CA), for the tests and
the local demo: what a hosting provider's server answers for the URLs of reports.

Each path answers from a table of path -> page (also the JSON data file's format), whatever the
Host; an unknown path is 404. A page::

    {"status": 200, "headers": {"ETag": "\\"v1\\""}, "body_bytes": 50_000_000}
    {"head": 405}                     HEAD answered with that status (no body), GET as usual
    {"redirect": "http://other.example.test/x", "status": 301}   (302 if no status)
    {"delay_headers": 2.0}            nothing at all is sent for that many seconds
    {"huge_headers": True}            some 64 KiB of headers
    {"chunk_delay": 0.01}             a pause between the body's 64 KiB chunks
    {"raw": "not HTTP"}               those bytes instead of an HTTP answer, then close

A page's Content-Type replaces the default (text/plain). A body (``body_bytes``, a small one
by default) follows the headers of a GET in chunks, and
each exchange counts the body bytes it handed to the network: a client that closes after the
headers leaves the count far below the body's size, and the exchange ``ended`` "closed by the
client". With ``data_file`` the table is read again whenever the file changes, so a running demo
can be told that a page is gone::

    python -m sandbox.web_host serve --data-file var/sandbox/web-pages.json --port 8080
    python -m sandbox.web_host set var/sandbox/web-pages.json /gallery/1 --status 404
"""

import argparse
import contextlib
import json
import logging
import os
import signal
import ssl
import tempfile
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import trustme

from sandbox import demo
from sandbox.stand_in import DEFAULT_NAMES, HOST, StandIn

__all__ = ["DEFAULT_NAMES", "Exchange", "WebHost", "data_file_set", "page_check"]

logger = logging.getLogger(__name__)

# What the certificate names (HTTPS): the test hosts, and the loopback by name and address.
CA_FILE_NAME = "web-ca.pem"
DEFAULT_BODY_BYTES = 64
HUGE_HEADERS_BYTES = 64 * 1024
MAX_DELAY = 30.0  # long enough for any timeout test; a forgotten delay cannot hang a run
_CHUNK = 64 * 1024
_CLIENT_TIMEOUT = 10.0  # a client that connects and says nothing holds its thread no longer
_FIELDS = {
    "status",
    "headers",
    "body_bytes",
    "head",
    "redirect",
    "delay_headers",
    "huge_headers",
    "chunk_delay",
    "raw",
}


def page_check(page: dict) -> dict:
    """``page`` if it is in the format above; ValueError says what is wrong."""
    unknown = set(page) - _FIELDS
    if unknown:
        raise ValueError(f"unknown page fields {sorted(unknown)}")
    for name in ("status", "head"):
        value = page.get(name, 200)
        if isinstance(value, bool) or not isinstance(value, int) or not 100 <= value <= 999:
            raise ValueError(f"{name} must be an HTTP status from 100 to 999: {value!r}")
    body_bytes = page.get("body_bytes", 0)
    if isinstance(body_bytes, bool) or not isinstance(body_bytes, int) or body_bytes < 0:
        raise ValueError(f"body_bytes must be a number of bytes: {body_bytes!r}")
    for name in ("delay_headers", "chunk_delay"):
        value = page.get(name, 0)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ValueError(f"{name} must be a number of seconds: {value!r}")
        if value > MAX_DELAY:
            raise ValueError(f"{name} must be at most {MAX_DELAY} seconds: {value!r}")
    headers = page.get("headers", {})
    if not isinstance(headers, dict) or not all(
        isinstance(name, str) and isinstance(value, str | int) for name, value in headers.items()
    ):
        raise ValueError(f"headers must be an object of name -> value: {headers!r}")
    for name in ("redirect", "raw"):
        if not isinstance(page.get(name, ""), str):
            raise ValueError(f"{name} must be a string: {page[name]!r}")
    if not isinstance(page.get("huge_headers", False), bool):
        raise ValueError(f"huge_headers must be true or false: {page['huge_headers']!r}")
    return dict(page)


def _pages_check(pages: Mapping[str, dict], source: str) -> dict[str, dict]:
    if not isinstance(pages, Mapping):
        raise ValueError(f"{source}: the pages are an object of path -> page")
    checked = {}
    for path, page in pages.items():
        if not (isinstance(path, str) and path.startswith("/")):
            raise ValueError(f"{source}: a path starts with '/': {path!r}")
        if not isinstance(page, dict):
            raise ValueError(f"{source}: the page of {path} is not an object")
        try:
            checked[path] = page_check(page)
        except ValueError as error:
            raise ValueError(f"{source}: {path}: {error}") from None
    return checked


def data_file_read(path: Path) -> dict[str, dict]:
    """The pages of a data file; a missing file has none."""
    try:
        pages = json.loads(Path(path).read_text())
    except FileNotFoundError:
        return {}
    return _pages_check(pages, str(path))


def data_file_set(path: Path, page_path: str, **page) -> None:
    """Replace one path's page in a data file, atomically (a reader sees the old or the new file,
    never half of one). Concurrent writers: the last one wins."""
    path = Path(path)
    pages = data_file_read(path)
    pages.update(_pages_check({page_path: page}, "the page"))
    with tempfile.NamedTemporaryFile(
        "w", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False
    ) as temporary:
        json.dump(pages, temporary, indent=2, sort_keys=True)
        temporary.write("\n")
    os.replace(temporary.name, path)


@dataclass
class Exchange:
    """One request and what was sent back."""

    method: str
    path: str  # the request target, query included
    host: str  # the Host header, "" if none
    headers: dict[str, str]  # the request's headers
    body_bytes_sent: int = 0  # body bytes handed to the network
    ended: str = ""  # "complete" or "closed by the client"; "" while the answer runs
    done: threading.Event = field(default_factory=threading.Event, repr=False)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() must not wait for a delayed answer or a long body

    def __init__(self, address: tuple[str, int], host: "WebHost", tls: ssl.SSLContext | None):
        self.host = host
        self.tls = tls
        super().__init__(address, _Handler)

    def finish_request(self, request, client_address):
        request.settimeout(_CLIENT_TIMEOUT)
        if self.tls is not None:
            # The handshake runs in the request's own thread: a client that never completes it
            # holds no one else up.
            try:
                request = self.tls.wrap_socket(request, server_side=True)
            except OSError:  # the client refused the certificate, or went away
                return
        # A client that closes early (the point of a status check) is no server error.
        with contextlib.suppress(OSError), request:
            self.RequestHandlerClass(request, client_address, self)


class _Handler(BaseHTTPRequestHandler):
    server_version = "sandbox-web"
    protocol_version = "HTTP/1.1"
    timeout = _CLIENT_TIMEOUT

    def log_message(self, format, *args):  # tests read .exchanges instead
        pass

    def do_HEAD(self):
        self._serve()

    def do_GET(self):
        self._serve()

    def _serve(self) -> None:
        host: WebHost = self.server.host
        exchange = host._record(
            Exchange(
                method=self.command,
                path=self.path,
                host=self.headers.get("Host", ""),
                headers=dict(self.headers.items()),
            )
        )
        self.close_connection = True
        try:
            self._answer(host, exchange, host._page(self.path.split("?", 1)[0]))
            exchange.ended = "complete"
        except OSError:
            exchange.ended = "closed by the client"
            raise
        finally:
            exchange.done.set()

    def _answer(self, host: "WebHost", exchange: Exchange, page: dict | None) -> None:
        if page is None:
            page = {"status": 404}
        if host._stopping.wait(page.get("delay_headers", 0)):
            return  # stopped while waiting: no answer
        if "raw" in page:
            self.wfile.write(page["raw"].encode())
            return
        head_refused = self.command == "HEAD" and "head" in page
        if head_refused:
            status = page["head"]
        else:
            status = page.get("status", 302 if "redirect" in page else 200)
        body_bytes = 0 if head_refused else page.get("body_bytes", DEFAULT_BODY_BYTES)
        self.send_response(status)
        # The page's own headers replace these defaults (a header is sent once).
        headers = {"content-type": ("Content-Type", "text/plain; charset=utf-8")}
        headers["content-length"] = ("Content-Length", str(body_bytes))
        headers["connection"] = ("Connection", "close")
        if head_refused and status == 405:
            headers["allow"] = ("Allow", "GET")
        if "redirect" in page:
            headers["location"] = ("Location", page["redirect"])
        for name, value in page.get("headers", {}).items():
            headers[name.lower()] = (name, str(value))
        for name, value in headers.values():
            self.send_header(name, value)
        if page.get("huge_headers"):
            filler = "f" * 1000
            for number in range(HUGE_HEADERS_BYTES // len(filler)):
                self.send_header(f"X-Filler-{number}", filler)
        self.end_headers()
        if self.command == "HEAD":
            return
        left = body_bytes
        while left:
            chunk = min(_CHUNK, left)
            self.wfile.write(b"s" * chunk)
            exchange.body_bytes_sent += chunk
            left -= chunk
            if left and host._stopping.wait(page.get("chunk_delay", 0)):
                return


class WebHost(StandIn):
    """HTTP (and with ``tls``, HTTPS) on 127.0.0.1; a context manager, port 0 picks a free port.

    With ``tls``, ``ca_file`` is the PEM of the CA that signed the certificate (for ``names``):
    ``ca``, or one of its own; written to ``ca_dir`` or to a temporary directory removed on
    stop()."""

    server_class = _Server
    thread_name = "web"
    ca_file_name = CA_FILE_NAME

    def __init__(
        self,
        pages: Mapping[str, dict] | None = None,
        *,
        port: int = 0,
        tls: bool = False,
        https_port: int = 0,
        names: Sequence[str] = DEFAULT_NAMES,
        ca_dir: Path | None = None,
        ca: trustme.CA | None = None,
        data_file: Path | None = None,
    ):
        self._lock = threading.Lock()
        self._pages = _pages_check(pages or {}, "pages")
        self._data_file = Path(data_file) if data_file else None
        self._data_version: tuple[int, int, int] | None = None
        self._data_pages: dict[str, dict] = {}
        self.exchanges: list[Exchange] = []
        super().__init__(
            port=port, https_port=https_port, tls=tls, names=names, ca=ca, ca_dir=ca_dir
        )

    @property
    def requests(self) -> list[tuple[str, str, str]]:
        """(method, path, Host header) of every request received, in order."""
        with self._lock:
            return [(e.method, e.path, e.host) for e in self.exchanges]

    @property
    def body_bytes_sent(self) -> list[int]:
        """Per request, in order: the body bytes handed to the network so far."""
        with self._lock:
            return [exchange.body_bytes_sent for exchange in self.exchanges]

    def wait_answered(self, timeout: float = 5.0) -> bool:
        """Wait until every answer so far has ended (sent, or cut short by its client)."""
        with self._lock:
            pending = list(self.exchanges)
        return all(exchange.done.wait(timeout) for exchange in pending)

    def set(self, path: str, **page) -> None:
        """Answer ``path`` with ``page`` from now on (over the data file's page, if any)."""
        checked = _pages_check({path: page}, "the page")
        with self._lock:
            self._pages.update(checked)

    def url(self, path: str = "/", *, host: str = HOST, https: bool = False) -> str:
        """The URL of ``path`` on this host under the name ``host`` (resolve it to 127.0.0.1)."""
        scheme, (_, port) = ("https", self.https_address) if https else ("http", self.http_address)
        return f"{scheme}://{host}:{port}{path}"

    def _record(self, exchange: Exchange) -> Exchange:
        with self._lock:
            self.exchanges.append(exchange)
        return exchange

    def _page(self, path: str) -> dict | None:
        with self._lock:
            if self._data_file:
                self._reload_data_file()
            return self._pages[path] if path in self._pages else self._data_pages.get(path)

    def _reload_data_file(self) -> None:
        try:
            status = self._data_file.stat()
        except FileNotFoundError:
            self._data_version, self._data_pages = None, {}
            return
        version = (status.st_mtime_ns, status.st_ino, status.st_size)
        if version == self._data_version:
            return
        try:
            self._data_pages = data_file_read(self._data_file)
        except (ValueError, OSError) as error:
            # A bad edit leaves the last good pages in place.
            logger.warning("web host data file not loaded: %s", error)
        self._data_version = version


def _header(text: str) -> tuple[str, str]:
    name, separator, value = text.partition(":")
    if not separator or not name.strip():
        raise argparse.ArgumentTypeError(f"{text!r}: give a header as 'Name: value'")
    return name.strip(), value.strip()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m sandbox.web_host", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve a data file's pages until interrupted")
    serve.add_argument("--data-file", type=Path, required=True)
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--https-port", type=int, help="also serve HTTPS, on this port")
    serve.add_argument(
        "--ca-dir", type=Path, help=f"where HTTPS's CA certificate ({CA_FILE_NAME}) is written"
    )
    change = commands.add_parser("set", help="replace one path's page in a data file")
    change.add_argument("data_file", type=Path)
    change.add_argument("path")
    change.add_argument("--status", type=int)
    change.add_argument("--head", type=int, help="the status HEAD is answered with")
    change.add_argument("--redirect", metavar="URL")
    change.add_argument("--body-bytes", type=int)
    change.add_argument("--delay-headers", type=float, metavar="SECONDS")
    change.add_argument("--chunk-delay", type=float, metavar="SECONDS")
    change.add_argument("--huge-headers", action="store_true", default=None)
    change.add_argument("--header", type=_header, action="append", dest="headers")
    arguments = parser.parse_args(argv)
    if arguments.command == "set":
        fields = ("status", "head", "redirect", "body_bytes", "delay_headers", "chunk_delay")
        page = {name: getattr(arguments, name) for name in (*fields, "huge_headers")}
        if arguments.headers:
            page["headers"] = dict(arguments.headers)
        try:
            data_file_set(
                arguments.data_file,
                arguments.path,
                **{name: value for name, value in page.items() if value is not None},
            )
        except ValueError as error:
            parser.error(str(error))
        return
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    host = WebHost(
        port=arguments.port,
        tls=arguments.https_port is not None,
        https_port=arguments.https_port or 0,
        names=(*DEFAULT_NAMES, *demo.HOSTS),
        ca_dir=arguments.ca_dir,
        data_file=arguments.data_file,
    )
    with host:
        print(f"web host on http://{HOST}:{host.http_address[1]}", flush=True)
        if host.https_address:
            print(
                f"web host on https://{HOST}:{host.https_address[1]} ({host.ca_file})", flush=True
            )
        stop.wait()


if __name__ == "__main__":
    main()
