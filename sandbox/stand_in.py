"""What the sandbox's HTTP stand-ins share (the demo hosts' web server, the webhook receiver):
HTTP and, with TLS, HTTPS on 127.0.0.1, each server in a thread, a certificate from a CA of their
own or the caller's, and start/stop as a context manager. Port 0 picks a free port."""

import ssl
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

import trustme

HOST = "127.0.0.1"
DEFAULT_NAMES = ("localhost", "127.0.0.1", "*.example.test", "example.test")


class StandIn:
    """A subclass names its server class (a ThreadingHTTPServer taking the stand-in as its third
    argument, after the address and the TLS context) and its threads' name."""

    server_class: type
    thread_name = "stand-in"
    ca_file_name = "ca.pem"

    def __init__(
        self,
        *,
        port: int,
        https_port: int,
        tls: bool,
        names: Sequence[str],
        ca: trustme.CA | None,
        ca_dir: Path | None,
    ):
        self._ports = {"http": port, "https": https_port}
        self._stopping = threading.Event()
        self._servers: dict = {}
        self._threads: list[threading.Thread] = []
        self.http_address: tuple[str, int] = (HOST, port)
        self.https_address: tuple[str, int] | None = None
        self.ca_file: str | None = None
        self._tls: ssl.SSLContext | None = None
        self._temporary = None
        if tls:
            ca = ca or trustme.CA()
            self._tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ca.issue_cert(*names).configure_cert(self._tls)
            if not ca_dir:
                self._temporary = tempfile.TemporaryDirectory(prefix=f"{self.thread_name}-ca-")
            directory = Path(ca_dir) if ca_dir else Path(self._temporary.name)
            directory.mkdir(parents=True, exist_ok=True)
            self.ca_file = str(directory / self.ca_file_name)
            ca.cert_pem.write_to_path(self.ca_file)

    def start(self):
        if self._servers:
            raise RuntimeError(f"the {self.thread_name} is already started")
        self._stopping.clear()
        schemes = {"http": None, **({"https": self._tls} if self._tls else {})}
        for scheme, tls in schemes.items():
            server = self.server_class((HOST, self._ports[scheme]), self, tls)
            self._servers[scheme] = server
            # A short poll keeps stop() quick: shutdown() waits for the loop to notice.
            thread = threading.Thread(
                target=server.serve_forever,
                args=(0.05,),
                name=f"{self.thread_name}-{scheme}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)
        self.http_address = self._servers["http"].server_address[:2]
        if "https" in self._servers:
            self.https_address = self._servers["https"].server_address[:2]
        return self

    def stop(self) -> None:
        self._stopping.set()
        for server in self._servers.values():
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join()
        self._servers, self._threads = {}, []
        if self._temporary is not None:
            self._temporary.cleanup()
            self._temporary = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
