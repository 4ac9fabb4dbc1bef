from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from hotline.models import Provider
from hotline.services import (
    audit_api_key_create,
    partner_api_key_create,
    provider_api_key_create,
)


class Command(BaseCommand):
    help = "Create an API key. The key is printed once, as the last line; only its hash is kept."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a key")
        owner = create.add_mutually_exclusive_group(required=True)
        owner.add_argument("--partner", metavar="NAME", help="partner hotline (created if new)")
        owner.add_argument("--provider", metavar="NAME", help="hosting provider (must exist)")
        owner.add_argument(
            "--auditor", metavar="HOLDER", help="read-only SLA key, e.g. a regulator"
        )
        create.add_argument("--name", default="", help="a label for the key (default: the owner)")

    def handle(self, *args, action, partner, provider, auditor, name, **options):
        owner_name = (partner or provider or auditor or "").strip()
        if not owner_name:
            option = next(
                o
                for o, v in (("partner", partner), ("provider", provider), ("auditor", auditor))
                if v is not None
            )
            raise CommandError(f"--{option} needs a name.")
        label = (name or owner_name)[:50]
        if partner is not None:
            try:
                api_key, key, created = partner_api_key_create(
                    partner_name=owner_name, key_name=label
                )
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from None
            if created:
                self.stdout.write(f"Created partner {api_key.partner.name!r}.")
            owner = f"partner {api_key.partner.name!r}"
        elif auditor is not None:
            api_key, key = audit_api_key_create(holder=owner_name, key_name=label)
            owner = f"auditor {owner_name!r} (SLA figures, read only)"
        else:
            try:
                api_key, key = provider_api_key_create(provider_name=owner_name, key_name=label)
            except Provider.DoesNotExist as exc:
                raise CommandError(str(exc)) from None
            owner = f"provider {api_key.provider.name!r}"
        self.stdout.write(
            f"API key {api_key.prefix} for {owner}. "
            "Store it now: it cannot be shown again. Send it as 'Authorization: Api-Key <key>'."
        )
        self.stdout.write(key)
