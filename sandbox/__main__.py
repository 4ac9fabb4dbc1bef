"""The local stand-ins for `make run`: DNS, RDAP, the demo hosts' web server and a provider's
webhook receiver, on 127.0.0.1.

    python -m sandbox [--dir var/sandbox] serve [--dns-port 8053] [--rdap-port 8443]
                                                [--web-port 8081] [--web-https-port 8444]
                                                [--webhook-port 8090] [--webhook-https-port 8091]
                                                [--webhook-log var/webhooks.jsonl]
    python -m sandbox [--dir var/sandbox] move HOST ADDRESS
    python -m sandbox [--dir var/sandbox] page URL STATUS [--redirect TARGET]

``serve`` writes the demo's zone, registry data and web pages into ``--dir`` the first time
(edit them freely afterwards: each is read again when it changes) and the CA certificate that
signs both the RDAP server's and the web host's certificates (``ca.pem``, which the service's
HOTLINE_OUTSIDE_CA_FILE points at), then ``ready`` once all of them listen. The web host answers
HTTP and HTTPS for every demo host; HOTLINE_SANDBOX routes the documentation ranges' ports 80
and 443 to it. The webhook receiver (sandbox/webhook_receiver.py) stands for a provider that takes
notices by webhook at ``https://198.51.100.200/`` (HOTLINE_SANDBOX routes that address's ports 80
and 443 to it): it verifies each delivery against the secrets in ``webhook-secrets`` (one is
generated the first time; give it to the demo provider) and appends each to ``--webhook-log``.

``move`` points a host at another address while the servers run. ``page`` makes a URL answer
STATUS from now on, as its host would::

    python -m sandbox page https://images.example.com/gallery/9000 404     # removed
    python -m sandbox page https://images.example.com/gallery/9000 301 \\
        --redirect https://images.example.com/removed                     # a removal page
    python -m sandbox page https://images.example.com/gallery/9000 200     # online again

The web host serves by path, whatever the host, and ignores the query: ``page`` changes that
path on every demo host.
"""

import argparse
import ipaddress
import json
import signal
import threading
from pathlib import Path
from urllib.parse import urlsplit

import trustme

from sandbox import demo, web_host, webhook_receiver
from sandbox.dns_server import DNSServer, zone_file_set
from sandbox.rdap_server import RDAPServer
from sandbox.web_host import WebHost, data_file_set
from sandbox.webhook_receiver import WebhookReceiver

ZONE_FILE = "dns-zone.json"
RDAP_FILE = "rdap-networks.json"
WEB_FILE = "web-pages.json"
READY_FILE = "ready"
WEBHOOK_SECRETS_FILE = "webhook-secrets"


def demo_files(directory: Path) -> tuple[Path, Path, Path]:
    """The zone, registry and web page files in ``directory``; the demo's where there are none."""
    directory.mkdir(parents=True, exist_ok=True)
    files = {ZONE_FILE: demo.zone, RDAP_FILE: demo.rdap_networks, WEB_FILE: demo.web_pages}
    for name, contents in files.items():
        if not (directory / name).exists():
            (directory / name).write_text(json.dumps(contents(), indent=2))
    return directory / ZONE_FILE, directory / RDAP_FILE, directory / WEB_FILE


def webhook_secrets_file(directory: Path) -> Path:
    """The receiver's secrets file in ``directory``; one new secret in it where there is none."""
    path = directory / WEBHOOK_SECRETS_FILE
    if not path.exists():
        path.write_text(webhook_receiver.secret_generate() + "\n")
    return path


def serve(
    directory: Path,
    dns_port: int,
    rdap_port: int,
    web_port: int,
    web_https_port: int,
    webhook_port: int,
    webhook_https_port: int,
    webhook_log: Path,
) -> None:
    zone, networks, pages = demo_files(directory)
    webhook_secrets = webhook_secrets_file(directory)
    ready = directory / READY_FILE
    ready.unlink(missing_ok=True)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    ca = trustme.CA()  # one CA for every TLS stand-in: ca.pem is the only file to trust
    with (
        DNSServer(zone_file=zone, port=dns_port) as dns,
        RDAPServer(port=rdap_port, ca_dir=directory, ca=ca, data_file=networks) as rdap,
        WebHost(
            port=web_port,
            tls=True,
            https_port=web_https_port,
            names=(*web_host.DEFAULT_NAMES, *demo.HOSTS),
            ca_dir=directory,
            ca=ca,
            data_file=pages,
        ) as web,
        WebhookReceiver(
            port=webhook_port,
            tls=True,
            https_port=webhook_https_port,
            names=(*webhook_receiver.DEFAULT_NAMES, demo.WEBHOOK_ADDRESS),
            ca=ca,
            ca_dir=directory,
            secrets_file=webhook_secrets,
            log_file=webhook_log,
        ) as webhooks,
    ):
        host, port = dns.address
        print(f"sandbox DNS on {host}:{port} ({zone})", flush=True)
        host, port = rdap.address
        print(f"sandbox RDAP on https://{host}:{port} ({networks})", flush=True)
        (host, port), (_, https_port) = web.http_address, web.https_address
        print(
            f"sandbox web host on http://{host}:{port}, https://{host}:{https_port} ({pages})",
            flush=True,
        )
        print(
            f"sandbox webhook receiver on {webhooks.url()}, {webhooks.url(https=True)} "
            f"(secrets in {webhook_secrets}, deliveries to {webhook_log})",
            flush=True,
        )
        ready.touch()  # all listen, and the CA file is this run's
        stop.wait()
    ready.unlink(missing_ok=True)


def move(directory: Path, host: str, address: str) -> None:
    zone, _, _ = demo_files(directory)
    kind = "A" if ipaddress.ip_address(address).version == 4 else "AAAA"
    zone_file_set(zone, host, **{kind: [address]})
    origin = demo.origin_record(address)
    if origin:
        zone_file_set(zone, demo.origin_name(address), **origin)
    print(f"{host} now answers {kind} {address}")


def page(directory: Path, url: str, status: int, redirect: str | None) -> None:
    """Make ``url`` answer ``status`` (a 2xx serves its demo image, if it has one)."""
    _, _, pages = demo_files(directory)
    path = urlsplit(url).path or "/"
    if redirect:
        answer = {"status": status, "redirect": redirect}
    elif status < 300:
        answer = {**demo.web_pages().get(path, {}), "status": status}
    else:
        answer = {"status": status}
    data_file_set(pages, path, **answer)
    print(f"{url} now answers {status}" + (f", to {redirect}" if redirect else ""))


def _web_url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(f"{text!r}: give an http(s) URL with a host")
    return text


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__.split("\n")[0])
    parser.add_argument("--dir", type=Path, default=Path("var/sandbox"))
    commands = parser.add_subparsers(dest="command", required=True)
    serving = commands.add_parser("serve", help="run the DNS, RDAP and web stand-ins")
    serving.add_argument("--dns-port", type=int, default=8053)
    serving.add_argument("--rdap-port", type=int, default=8443)
    serving.add_argument("--web-port", type=int, default=8081)
    serving.add_argument("--web-https-port", type=int, default=8444)
    serving.add_argument("--webhook-port", type=int, default=8090)
    serving.add_argument("--webhook-https-port", type=int, default=8091)
    serving.add_argument("--webhook-log", type=Path, default=Path("var/webhooks.jsonl"))
    moving = commands.add_parser("move", help="point a demo host at another address")
    moving.add_argument("host")
    moving.add_argument("address")
    paging = commands.add_parser("page", help="make a URL answer another status")
    paging.add_argument("url", type=_web_url)
    paging.add_argument("status", type=int)
    paging.add_argument("--redirect", metavar="TARGET", type=_web_url)
    args = parser.parse_args(argv)
    if args.command == "serve":
        serve(
            args.dir,
            args.dns_port,
            args.rdap_port,
            args.web_port,
            args.web_https_port,
            args.webhook_port,
            args.webhook_https_port,
            args.webhook_log,
        )
    elif args.command == "move":
        move(args.dir, args.host.lower(), args.address)
    else:
        if args.redirect and not 300 <= args.status < 400:
            parser.error(f"a redirect needs a 3xx status, not {args.status}")
        try:
            page(args.dir, args.url, args.status, args.redirect)
        except ValueError as error:
            parser.error(str(error))


if __name__ == "__main__":
    main()
