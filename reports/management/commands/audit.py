from django.core.management.base import BaseCommand, CommandError

from reports.audit import audit_verify


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain: prints OK with the count, or the first break."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="walk the whole chain")

    def handle(self, *args, action, **options):
        result = audit_verify()
        if not result.ok:
            raise CommandError(
                f"BROKEN at event {result.broken_seq}: {result.problem} "
                f"({result.count} events verified before it)."
            )
        self.stdout.write(f"OK: {result.count} events, chain intact.")
