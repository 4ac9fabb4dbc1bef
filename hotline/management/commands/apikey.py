from django.core.management.base import BaseCommand, CommandError

from hotline.services import partner_api_key_create


class Command(BaseCommand):
    help = "Create an API key. The key is printed once, as the last line; only its hash is kept."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a key")
        owner = create.add_mutually_exclusive_group(required=True)
        owner.add_argument("--partner", metavar="NAME", help="partner hotline (created if new)")
        create.add_argument("--name", default="", help="a label for the key (default: the owner)")

    def handle(self, *args, action, partner, name, **options):
        if not partner.strip():
            raise CommandError("--partner needs a name.")
        api_key, key, created = partner_api_key_create(
            partner_name=partner, key_name=(name or partner)[:50]
        )
        if created:
            self.stdout.write(f"Created partner {api_key.partner.name!r}.")
        self.stdout.write(
            f"API key {api_key.prefix} for partner {api_key.partner.name!r}. "
            "Store it now: it cannot be shown again. Send it as 'Authorization: Api-Key <key>'."
        )
        self.stdout.write(key)
