from django.apps import AppConfig
from django.db.models.signals import post_migrate

from hotline.roles import GRANTS, roles_sync


class HotlineConfig(AppConfig):
    name = "hotline"
    verbose_name = "Directory and policy"
    role_grants = GRANTS

    def ready(self):
        from django.conf import settings
        from django.contrib import admin

        from hotline import languages, policy, schema  # noqa: F401  (the checks, the extensions)

        post_migrate.connect(roles_sync, dispatch_uid="hotline.roles_sync")

        if settings.HOTLINE_REQUIRE_2FA:
            from django_otp.admin import OTPAdminSite

            # The documented switch: the admin then asks for a TOTP code at sign-in.
            admin.site.__class__ = OTPAdminSite
