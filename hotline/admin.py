from django.contrib import admin
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey

from hotline.models import PartnerAPIKey, PartnerHotline

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
    list_display = ("name", "contact_email", "active", "created_at")
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
