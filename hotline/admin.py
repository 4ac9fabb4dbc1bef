from django.contrib import admin
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey

from hotline.actors import Actor
from hotline.directory import provider_state, provider_update_record
from hotline.models import (
    Agency,
    AuditAPIKey,
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


class ProviderDomainInline(admin.TabularInline):
    model = ProviderDomain
    extra = 1


class ProviderNetworkInline(admin.TabularInline):
    model = ProviderNetwork
    fields = ("cidr",)
    extra = 1


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    """Changes are audited: who changed where notices go (abuse address, deadline, ranges)."""

    list_display = ("name", "country", "abuse_email", "deadline_hours", "active")
    list_filter = ("active", "country")
    search_fields = ("name", "domains__suffix")
    inlines = [ProviderDomainInline, ProviderNetworkInline]

    def save_model(self, request, obj, form, change):
        # Read before the form's values are saved; recorded once the inlines are saved too.
        stored = Provider.objects.filter(pk=obj.pk).first() if change else None
        request.provider_before = provider_state(stored) if stored else None
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        provider_update_record(
            actor=Actor.for_user(request.user),
            before=request.provider_before,
            provider=form.instance,
        )

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: reports and notices point at providers


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("name", "country", "kind", "contact_email", "active")
    list_filter = ("kind", "active", "country")
    search_fields = ("name",)

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: escalations point at agencies


class OwnedAPIKeyAdmin(APIKeyModelAdmin):
    """Keys are shown once, on creation; revoke a key here, it cannot be undone."""

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: events name keys by prefix


def _register_key_admin(model, owner: str) -> None:
    admin.site.register(
        model,
        type(
            f"{model.__name__}Admin",
            (OwnedAPIKeyAdmin,),
            {
                "list_display": ("prefix", "name", owner, "created", "expiry_date", "revoked"),
                "list_filter": ("revoked",),
                "list_select_related": () if owner == "holder" else (owner,),
                "search_fields": (
                    "prefix",
                    "name",
                    owner if owner == "holder" else f"{owner}__name",
                ),
            },
        ),
    )


_register_key_admin(PartnerAPIKey, "partner")
_register_key_admin(ProviderAPIKey, "provider")
_register_key_admin(AuditAPIKey, "holder")
