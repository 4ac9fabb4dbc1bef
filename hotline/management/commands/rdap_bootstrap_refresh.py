from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from hotline.integrations.rdap import Bootstrap, RDAPError, bootstrap_refresh
from hotline.outside import outside_ca_file, outside_route


class Command(BaseCommand):
    help = (
        "Download IANA's RDAP bootstrap files (RFC 9224), check them, and replace those that "
        "changed. Nothing is written unless all four are valid."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--directory",
            type=Path,
            default=None,
            help="where the files are (default: HOTLINE_RDAP_BOOTSTRAP_DIR)",
        )

    def handle(self, *args, directory, **options):
        directory = directory or Path(settings.HOTLINE_RDAP_BOOTSTRAP_DIR)
        try:
            changed = bootstrap_refresh(directory, route=outside_route, ca_file=outside_ca_file())
        except RDAPError as exc:
            raise CommandError(f"Bootstrap not refreshed ({exc.kind}): {exc}") from None
        publication = Bootstrap.from_directory(directory).publication
        for name in changed:
            self.stdout.write(f"Updated {directory / name}")
        if not changed:
            self.stdout.write(f"Already up to date in {directory}")
        self.stdout.write(f"Bootstrap published {publication}")
