from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.functional import lazy

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

        # The admin says whose it is (read at each page, so a changed setting shows at once).
        org_name = lazy(lambda: settings.HOTLINE_ORG_NAME, str)()
        admin.site.site_header = admin.site.site_title = org_name

        if settings.HOTLINE_REQUIRE_2FA:
            from django_otp.admin import OTPAdminSite

            # The documented switch: the admin then asks for a TOTP code at sign-in.
            admin.site.__class__ = OTPAdminSite
