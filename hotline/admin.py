import ipaddress

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, Count, F, IntegerField, Q, Value, When
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey

from hotline.actors import Actor
from hotline.directory import (
    MAX_ASN,
    candidate_approve,
    candidate_reject,
    host_rule_record,
    host_rule_state,
    host_rule_target_problem,
    provider_channel_problems,
    provider_state,
    provider_update_record,
    provider_webhook_secret_rotate,
)
from hotline.errors import DomainError
from hotline.models import (
    Agency,
    AuditAPIKey,
    HostRule,
    PartnerAPIKey,
    PartnerHotline,
    Provider,
    ProviderAPIKey,
    ProviderASN,
    ProviderCandidate,
    ProviderDomain,
    ProviderNetwork,
)
from hotline.provider_tools import provider_tool_register, provider_tools
from hotline.validators import domain_suffix_clean

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


@provider_tool_register
def _webhook_secret_tool(request, provider) -> list[dict]:
    if not request.user.has_perm("hotline.change_provider"):
        return []
    return [
        {
            "label": _("New webhook secret"),
            "url": reverse("admin:hotline_provider_webhook_secret", args=[provider.pk]),
            "help": _(
                "Replaces the signing secret: shown once on the next page; the provider's "
                "receiver must be given it before the next webhook delivery."
            ),
            "post": True,
        }
    ]


def _suffix_clean(value: str) -> str:
    return domain_suffix_clean(value) if value else value


def _cidr_clean(value: str) -> str:
    if not value:
        return value
    try:
        return str(ipaddress.ip_network(value.strip(), strict=False))
    except ValueError:
        raise ValidationError(
            _("%(value)s is not a CIDR range such as 192.0.2.0/24."), params={"value": value}
        ) from None


def _asn_clean(value: int | None) -> int | None:
    if value is not None and not 1 <= value <= MAX_ASN:
        raise ValidationError(_("An AS number is from 1 to %(max)s."), params={"max": MAX_ASN})
    return value


class ProviderDomainForm(forms.ModelForm):
    def clean_suffix(self):
        return _suffix_clean(self.cleaned_data["suffix"])


class ProviderDomainInline(admin.TabularInline):
    model = ProviderDomain
    form = ProviderDomainForm
    extra = 1


class ProviderNetworkInline(admin.TabularInline):
    model = ProviderNetwork
    fields = ("cidr",)
    extra = 1


class ProviderASNForm(forms.ModelForm):
    def clean_asn(self):
        return _asn_clean(self.cleaned_data["asn"])


class ProviderASNInline(admin.TabularInline):
    model = ProviderASN
    form = ProviderASNForm
    fields = ("asn",)
    extra = 1


class ProviderForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        problems = provider_channel_problems(
            cleaned.get("channel", ""), cleaned.get("webhook_url", "")
        )
        subjects = {"channel": _("The channel"), "webhook_url": _("The webhook URL")}
        for name, problem in problems.items():
            if name not in self.errors:
                self.add_error(name, f"{subjects[name]} {problem}.")
        return cleaned


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    """Changes are audited: who changed where notices go (abuse address, channel, endpoint,
    deadline, ranges). The webhook secret is never shown again after the page that made it."""

    form = ProviderForm
    list_display = (
        "name",
        "country",
        "abuse_email",
        "channel",
        "language",
        "deadline_hours",
        "active",
    )
    list_filter = ("active", "channel", "country")
    search_fields = ("name", "domains__suffix")
    inlines = [ProviderDomainInline, ProviderNetworkInline, ProviderASNInline]
    change_form_template = "admin/hotline/provider/change_form.html"
    fieldsets = (
        (None, {"fields": ("name", "country", "deadline_hours", "active")}),
        (
            _("Delivery"),
            {
                "fields": (
                    "abuse_email",
                    "escalation_email",
                    "channel",
                    "webhook_url",
                    "webhook_secret_state",
                    "language",
                )
            },
        ),
    )
    readonly_fields = ("webhook_secret_state",)

    @admin.display(description=_("webhook secret"))
    def webhook_secret_state(self, obj):
        if obj.webhook_secret:
            return _("set (shown once when it was made; make a new one to replace it)")
        return _("none yet: webhook deliveries cannot be signed until one is made")

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

    def get_urls(self):
        rotate = self.admin_site.admin_view(self.webhook_secret_view)
        return [
            path(
                "<int:object_id>/webhook-secret/",
                rotate,
                name="hotline_provider_webhook_secret",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        provider = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if provider is not None:
            extra_context["provider_tools"] = provider_tools(request, provider)
        return super().change_view(request, object_id, form_url, extra_context)

    def webhook_secret_view(self, request, object_id):
        if request.method != "POST":
            return redirect("admin:hotline_provider_change", object_id)
        provider = get_object_or_404(Provider, pk=object_id)
        if not request.user.has_perm("hotline.change_provider"):
            raise PermissionDenied
        secret = provider_webhook_secret_rotate(provider.pk, actor=Actor.for_user(request.user))
        # admin_view() marks the page no-store: no copy of the secret in a browser or proxy cache.
        return TemplateResponse(
            request,
            "admin/hotline/provider/webhook_secret.html",
            {
                **self.admin_site.each_context(request),
                "title": _("New webhook secret"),
                "opts": self.model._meta,
                "original": provider,
                "secret": secret,
            },
        )


class HostRuleForm(forms.ModelForm):
    class Meta:
        model = HostRule
        fields = ("kind", "provider", "domain", "asn", "cidr", "note")

    def clean_domain(self):
        return _suffix_clean(self.cleaned_data["domain"])

    def clean_cidr(self):
        return _cidr_clean(self.cleaned_data["cidr"])

    def clean_asn(self):
        return _asn_clean(self.cleaned_data["asn"])

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") and not self.errors:
            problem = host_rule_target_problem(
                cleaned["kind"],
                domain=cleaned.get("domain"),
                asn=cleaned.get("asn"),
                cidr=cleaned.get("cidr"),
            )
            if problem:
                raise ValidationError(problem[0].upper() + problem[1:] + ".")
        return cleaned


@admin.register(HostRule)
class HostRuleAdmin(admin.ModelAdmin):
    """Who receives the notices for a CDN, a platform or a host: every change is audited."""

    form = HostRuleForm
    list_display = ("__str__", "kind", "provider", "note", "updated_at")
    list_filter = ("kind",)
    list_select_related = ("provider",)
    search_fields = ("domain", "provider__name")
    ordering = ("kind", "domain", "asn", "cidr")

    def save_model(self, request, obj, form, change):
        stored = HostRule.objects.select_related("provider").get(pk=obj.pk) if change else None
        before = host_rule_state(stored) if stored else None
        super().save_model(request, obj, form, change)
        host_rule_record(
            actor=Actor.for_user(request.user),
            verb="host_rule_update" if before else "host_rule_create",
            rule=obj,
            before=before,
        )

    def delete_model(self, request, obj):
        host_rule_record(actor=Actor.for_user(request.user), verb="host_rule_delete", rule=obj)
        super().delete_model(request, obj)

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        for rule in queryset.select_related("provider"):
            self.delete_model(request, rule)


class CandidateApproveForm(forms.Form):
    name = forms.CharField(max_length=200, required=False)
    country = forms.CharField(max_length=2, required=False)
    abuse_email = forms.CharField(label=_("abuse e-mail"), max_length=254, required=False)
    provider = forms.ModelChoiceField(
        Provider.objects.all(),
        required=False,
        label=_("or attach to existing provider"),
        help_text=_("Adds the candidate's networks and AS to this provider instead."),
    )

    def service_kwargs(self) -> dict:
        provider = self.cleaned_data["provider"]
        if provider is not None:
            return {"provider_id": provider.pk}
        return {key: self.cleaned_data[key] for key in ("name", "country", "abuse_email")}


class CandidateRejectForm(forms.Form):
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


@admin.register(ProviderCandidate)
class ProviderCandidateAdmin(admin.ModelAdmin):
    """Providers found only in registry data. Read-only; a supervisor (who may decide) approves
    one, making or extending a directory entry, or rejects it."""

    list_display = (
        "name",
        "country",
        "abuse_email",
        "networks_shown",
        "asn",
        "source_url",
        "looked_up_at",
        "decision",
        "reports_waiting",
    )
    list_filter = ("decision", "country")
    search_fields = ("name", "network_handle", "abuse_email")
    readonly_fields = [field.name for field in ProviderCandidate._meta.fields]

    def get_queryset(self, request):
        # A report waits on the candidate while its newest lookup names it.
        return (
            super()
            .get_queryset(request)
            .annotate(
                pending_first=Case(
                    When(decision=ProviderCandidate.Decision.PENDING, then=Value(0)),
                    default=Value(1),
                    output_field=IntegerField(),
                ),
                waiting=Count(
                    "lookups__report",
                    filter=Q(lookups__report__hosting_lookup=F("lookups")),
                    distinct=True,
                ),
            )
            .order_by("pending_first", "-looked_up_at", "-id")
        )

    @admin.display(description=_("networks"))
    def networks_shown(self, obj):
        return ", ".join(obj.networks)

    @admin.display(description=_("reports waiting"), ordering="waiting")
    def reports_waiting(self, obj):
        return obj.waiting

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        view = self.admin_site.admin_view(self.decide_view)
        return [
            path(
                "<int:object_id>/decide/<str:decision>/",
                view,
                name="hotline_providercandidate_decide",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        candidate = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if (
            candidate is not None
            and candidate.decision == ProviderCandidate.Decision.PENDING
            and request.user.has_perm("hotline.decide_providercandidate")
        ):
            extra_context["approve_form"] = CandidateApproveForm(
                prefix="approve",
                initial={
                    "name": candidate.name,
                    "country": candidate.country,
                    "abuse_email": candidate.abuse_email,
                },
            )
            extra_context["reject_form"] = CandidateRejectForm(prefix="reject")
            extra_context["decide_urls"] = {
                decision: reverse(
                    "admin:hotline_providercandidate_decide", args=[candidate.pk, decision]
                )
                for decision in ("approve", "reject")
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def decide_view(self, request, object_id, decision):
        change_page = reverse("admin:hotline_providercandidate_change", args=[object_id])
        if request.method != "POST":
            return redirect(change_page)
        candidate = get_object_or_404(ProviderCandidate, pk=object_id)
        if decision not in ("approve", "reject") or not request.user.has_perm(
            "hotline.decide_providercandidate"
        ):
            raise PermissionDenied
        form_class = CandidateApproveForm if decision == "approve" else CandidateRejectForm
        form = form_class(request.POST, prefix=decision)
        if not form.is_valid():
            for field, errors in form.errors.items():
                for error in errors:
                    self.message_user(request, f"{decision}: {field}: {error}", messages.ERROR)
            return redirect(change_page)
        actor = Actor.for_user(request.user)
        try:
            if decision == "approve":
                provider = candidate_approve(candidate.pk, actor=actor, **form.service_kwargs())
                done = f"{candidate.name}: approved as provider {provider.name}."
            else:
                candidate_reject(candidate.pk, actor=actor, reason=form.cleaned_data["reason"])
                done = f"{candidate.name}: rejected."
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(request, done, messages.SUCCESS)
        return redirect(change_page)


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
