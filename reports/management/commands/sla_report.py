import json
import sys
import threading
import time
from contextlib import contextmanager
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from reports.sla.figures import GROUPS, sla_report
from reports.sla.period import EmptyPeriod, Period
from reports.sla.render import sla_csv, sla_markdown

FORMATS = {
    "csv": sla_csv,
    "json": lambda report: json.dumps(report, indent=2) + "\n",
    "md": sla_markdown,
}


@contextmanager
def progress(stream, label: str):
    """A ticking line on a terminal while the database works; silent when piped."""
    if not stream.isatty():
        yield
        return
    done = threading.Event()

    def tick():
        started = time.monotonic()
        frames = "|/-\\"
        n = 0
        while not done.wait(0.2):
            elapsed = time.monotonic() - started
            stream.write(f"\r{frames[n % 4]} {label} {elapsed:5.1f}s")
            stream.flush()
            n += 1
        stream.write("\r" + " " * (len(label) + 12) + "\r")

    thread = threading.Thread(target=tick, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


class Command(BaseCommand):
    help = "SLA compliance figures for a period (definitions in the README)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--from",
            dest="start",
            required=True,
            type=date.fromisoformat,
            help="start date, inclusive (YYYY-MM-DD)",
        )
        parser.add_argument(
            "--to",
            dest="end",
            required=True,
            type=date.fromisoformat,
            help="end date, exclusive (YYYY-MM-DD)",
        )
        parser.add_argument("--group-by", choices=list(GROUPS), default="provider")
        parser.add_argument("--format", choices=list(FORMATS), default="md")

    def handle(self, *args, start, end, group_by, format, **options):
        try:
            period = Period.from_dates(start, end)
        except EmptyPeriod:
            raise CommandError("--to must be after --from.") from None
        with progress(sys.stderr, f"computing SLA figures by {group_by}"):
            report = sla_report(period, group_by)
        self.stdout.write(FORMATS[format](report), ending="")
