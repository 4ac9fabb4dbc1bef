from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = (
        "Two-factor sign-in: `totp add USER` gives a staff member a TOTP device and prints, "
        "once, the otpauth:// address to load into an authenticator app."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="add (or replace) the user's authenticator")
        add.add_argument("username")

    @transaction.atomic
    def handle(self, *args, action, username, **options):
        user = get_user_model().objects.filter(username=username, is_staff=True).first()
        if user is None:
            raise CommandError(f"No staff user is named {username!r}.")
        TOTPDevice.objects.filter(user=user, name="authenticator").delete()
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
        self.stdout.write(
            f"Authenticator for {username}: scan or paste this address now; it is not shown again."
        )
        self.stdout.write(device.config_url)
