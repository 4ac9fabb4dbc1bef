from django.apps import AppConfig


class HotlineConfig(AppConfig):
    name = "hotline"
    verbose_name = "Directory and policy"

    def ready(self):
        from django.conf import settings
        from django.contrib import admin

        from hotline import policy, schema  # noqa: F401  (register the checks and the extensions)

        if settings.HOTLINE_REQUIRE_2FA:
            from django_otp.admin import OTPAdminSite

            # The documented switch: the admin then asks for a TOTP code at sign-in.
            admin.site.__class__ = OTPAdminSite
