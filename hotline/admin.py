from django.contrib import admin
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey

from hotline.models import (
    Agency,
    PartnerAPIKey,
    PartnerHotline,
    Provider,
    ProviderAPIKey,
    ProviderDomain,
    ProviderNetwork,
)

# The library's generic key model is not used: every key belongs to a partner (or provider).
admin.site.unregister(APIKey)


class PartnerAPIKeyInline(admin.TabularInline):
    model = PartnerAPIKey
    fields = ("prefix", "name", "created", "expiry_date", "revoked")
    readonly_fields = ("prefix", "name", "created", "expiry_date", "revoked")
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False  # keys are made on the key page, which shows the key once


@admin.register(PartnerHotline)
class PartnerHotlineAdmin(admin.ModelAdmin):
    list_display = ("name", "countries", "contact_email", "active", "created_at")
    list_filter = ("active",)
    search_fields = ("name",)
    inlines = [PartnerAPIKeyInline]


@admin.register(PartnerAPIKey)
class PartnerAPIKeyAdmin(APIKeyModelAdmin):
    list_display = ("prefix", "name", "partner", "created", "expiry_date", "revoked")
    list_filter = ("revoked", "partner")
    list_select_related = ("partner",)
    search_fields = ("prefix", "name", "partner__name")

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: events name keys by prefix


class ProviderDomainInline(admin.TabularInline):
    model = ProviderDomain
    extra = 1


class ProviderNetworkInline(admin.TabularInline):
    model = ProviderNetwork
    fields = ("cidr",)
    extra = 1


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ("name", "country", "abuse_email", "deadline_hours", "active")
    list_filter = ("active", "country")
    search_fields = ("name", "domains__suffix")
    inlines = [ProviderDomainInline, ProviderNetworkInline]

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: reports and notices point at providers


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("name", "country", "kind", "contact_email", "active")
    list_filter = ("kind", "active", "country")
    search_fields = ("name",)

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: escalations point at agencies


@admin.register(ProviderAPIKey)
class ProviderAPIKeyAdmin(APIKeyModelAdmin):
    """Keys are shown once, on creation; revoke a key here, it cannot be undone."""

    list_display = ("prefix", "name", "provider", "created", "expiry_date", "revoked")
    list_filter = ("revoked", "provider")
    list_select_related = ("provider",)
    search_fields = ("prefix", "name", "provider__name")

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: events name keys by prefix
