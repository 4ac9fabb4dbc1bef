"""The local stand-ins for `make run`: a DNS server and an RDAP server on 127.0.0.1.

    python -m sandbox serve [--dir var/sandbox] [--dns-port 8053] [--rdap-port 8443]
    python -m sandbox move HOST ADDRESS [--dir var/sandbox]

``serve`` writes the demo's zone and registry data into ``--dir`` the first time (edit them
freely afterwards: both are read again when they change) and the RDAP server's CA certificate
(``ca.pem``, which the service's HOTLINE_OUTSIDE_CA_FILE points at), then ``ready`` once both
listen. ``move`` points a host at another address while the servers run.
"""

import argparse
import ipaddress
import json
import signal
import threading
from pathlib import Path

from sandbox import demo
from sandbox.dns_server import DNSServer, zone_file_set
from sandbox.rdap_server import RDAPServer

ZONE_FILE = "dns-zone.json"
RDAP_FILE = "rdap-networks.json"
READY_FILE = "ready"


def serve(directory: Path, dns_port: int, rdap_port: int) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    zone, networks = directory / ZONE_FILE, directory / RDAP_FILE
    if not zone.exists():
        zone.write_text(json.dumps(demo.zone(), indent=2))
    if not networks.exists():
        networks.write_text(json.dumps(demo.rdap_networks(), indent=2))
    ready = directory / READY_FILE
    ready.unlink(missing_ok=True)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with (
        DNSServer(zone_file=zone, port=dns_port) as dns,
        RDAPServer(port=rdap_port, ca_dir=directory, data_file=networks) as rdap,
    ):
        host, port = dns.address
        print(f"sandbox DNS on {host}:{port} ({zone})", flush=True)
        host, port = rdap.address
        print(f"sandbox RDAP on https://{host}:{port} ({networks})", flush=True)
        ready.touch()  # both listen, and the CA file is this run's
        stop.wait()
    ready.unlink(missing_ok=True)


def move(directory: Path, host: str, address: str) -> None:
    zone = directory / ZONE_FILE
    kind = "A" if ipaddress.ip_address(address).version == 4 else "AAAA"
    zone_file_set(zone, host, **{kind: [address]})
    origin = demo.origin_record(address)
    if origin:
        zone_file_set(zone, demo.origin_name(address), **origin)
    print(f"{host} now answers {kind} {address}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__.split("\n")[0])
    parser.add_argument("--dir", type=Path, default=Path("var/sandbox"))
    commands = parser.add_subparsers(dest="command", required=True)
    serving = commands.add_parser("serve", help="run the DNS and RDAP stand-ins")
    serving.add_argument("--dns-port", type=int, default=8053)
    serving.add_argument("--rdap-port", type=int, default=8443)
    moving = commands.add_parser("move", help="point a demo host at another address")
    moving.add_argument("host")
    moving.add_argument("address")
    args = parser.parse_args(argv)
    if args.command == "serve":
        serve(args.dir, args.dns_port, args.rdap_port)
    else:
        move(args.dir, args.host.lower(), args.address)


if __name__ == "__main__":
    main()
