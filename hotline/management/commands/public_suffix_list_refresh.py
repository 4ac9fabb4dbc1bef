from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from hotline.integrations.public_suffix import ListInvalid, list_refresh
from hotline.integrations.rdap import RDAPError
from hotline.outside import outside_ca_file, outside_route


class Command(BaseCommand):
    help = (
        "Download the Public Suffix List, check it, and install it at HOTLINE_PUBLIC_SUFFIX_FILE "
        "(used instead of the pinned package's copy once the processes restart)."
    )

    def handle(self, *args, **options):
        path = Path(settings.HOTLINE_PUBLIC_SUFFIX_FILE)
        try:
            changed = list_refresh(path, route=outside_route, ca_file=outside_ca_file())
        except (RDAPError, ListInvalid) as exc:
            raise CommandError(f"Public Suffix List not refreshed: {exc}") from None
        self.stdout.write(f"{'Updated' if changed else 'Already up to date:'} {path}")
