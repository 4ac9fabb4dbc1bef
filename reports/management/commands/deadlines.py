from django.core.management.base import BaseCommand

from reports.deadlines import sweep_due


class Command(BaseCommand):
    help = "Deadline timers: `sweep` fires everything due now, as the beat sweep does."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("sweep", help="run one sweep and print what it did")

    def handle(self, *args, action, **options):
        self.stdout.write(f"Sweep done: {sweep_due().summary()}.")
