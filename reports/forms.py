from django import forms
from django.utils.translation import gettext_lazy as _

from hotline.models import Agency, PartnerHotline, Provider
from hotline.validators import country_code_clean
from reports.models import (
    DESCRIPTION_MAX_LENGTH,
    Escalation,
    IndustryCategory,
    LegalStatus,
    MediaType,
    NotActionableReason,
    Notice,
    ReporterCategory,
    SiteType,
)


class PublicReportForm(forms.Form):
    """The public form's fields; intake does the real checking."""

    url = forms.CharField(
        label=_("Web address (URL)"),
        help_text=_(
            "Copy the address from your browser's address bar. Do not send pictures or files."
        ),
        widget=forms.TextInput(
            attrs={"inputmode": "url", "autocomplete": "off", "spellcheck": "false"}
        ),
    )
    category = forms.ChoiceField(
        label=_("What did you see?"),
        choices=[("", _("I am not sure")), *ReporterCategory.choices],
        required=False,
    )
    description = forms.CharField(
        label=_("Description (optional)"),
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": DESCRIPTION_MAX_LENGTH}),
        required=False,
    )
    reporter_email = forms.EmailField(
        label=_("Your e-mail address (optional)"),
        help_text=_("Only if we may contact you. It is never passed to the hosting provider."),
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Filled in per form, so that it is in the language of the request.
        self.fields["description"].help_text = _(
            "Where on the page, in plain words. At most %(max)d characters."
        ) % {"max": DESCRIPTION_MAX_LENGTH}


class ReporterStatusForm(forms.Form):
    """What the reporter was shown when reporting; the selector does the checking."""

    reference = forms.CharField(
        label=_("Reference"),
        help_text=_("As shown after you reported, for example HL-1A2B-3C4D."),
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    tracking_secret = forms.CharField(
        label=_("Tracking secret"),
        help_text=_("The long code shown once, below the reference."),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


# --- The analysts' transition forms (admin). Each returns the keyword arguments of its
# workflow function.


class TransitionForm(forms.Form):
    def workflow_kwargs(self) -> dict:
        return dict(self.cleaned_data)


class NotActionableForm(TransitionForm):
    reason = forms.ChoiceField(choices=NotActionableReason.choices)


class IllegalForm(TransitionForm):
    legal_status = forms.ChoiceField(choices=LegalStatus.choices)
    industry_category = forms.ChoiceField(choices=IndustryCategory.choices, label=_("Category"))
    media_type = forms.ChoiceField(choices=MediaType.choices)
    site_type = forms.ChoiceField(choices=SiteType.choices)
    commercial = forms.BooleanField(required=False)


class DuplicateForm(TransitionForm):
    original_reference = forms.CharField(label=_("Duplicate of (reference)"), max_length=16)


class HostingForm(TransitionForm):
    provider = forms.ModelChoiceField(queryset=Provider.objects.filter(active=True), required=False)
    country = forms.CharField(max_length=2, label=_("Hosting country (ISO code)"))

    def clean_country(self):
        return country_code_clean(self.cleaned_data["country"])

    def workflow_kwargs(self):
        provider = self.cleaned_data["provider"]
        return {
            "provider_id": provider.pk if provider else None,
            "country": self.cleaned_data["country"],
        }


class ForwardForm(TransitionForm):
    partner = forms.ModelChoiceField(queryset=PartnerHotline.objects.filter(active=True))
    partner_reference = forms.CharField(max_length=200, required=False)

    def workflow_kwargs(self):
        return {
            "partner_id": self.cleaned_data["partner"].pk,
            "partner_reference": self.cleaned_data["partner_reference"],
        }


class EscalateForm(TransitionForm):
    agency = forms.ModelChoiceField(queryset=Agency.objects.filter(active=True))
    kind = forms.ChoiceField(choices=Escalation.Kind.choices)
    channel = forms.ChoiceField(choices=Escalation.Channel.choices)
    agency_reference = forms.CharField(max_length=200, required=False)
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, required=False
    )

    def workflow_kwargs(self):
        data = dict(self.cleaned_data)
        data["agency_id"] = data.pop("agency").pk
        return data


class HoldForm(TransitionForm):
    agency = forms.ModelChoiceField(queryset=Agency.objects.filter(active=True))
    until = forms.DateTimeField(
        help_text=_("UTC, e.g. 2026-12-01 18:00"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    agency_reference = forms.CharField(max_length=200, required=False)

    def workflow_kwargs(self):
        data = dict(self.cleaned_data)
        data["agency_id"] = data.pop("agency").pk
        return data


class SendNoticeForm(TransitionForm):
    kind = forms.ChoiceField(choices=Notice.Kind.choices, initial=Notice.Kind.VOLUNTARY)


class RemovalForm(TransitionForm):
    removed_at = forms.DateTimeField(
        required=False,
        help_text=_("UTC; empty means now."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


class WithdrawNoticeForm(TransitionForm):
    reason = forms.CharField(max_length=500)


class ChecksStopForm(TransitionForm):
    reason = forms.CharField(max_length=500, help_text="E.g. the partner forbids checks.")


class HostingMoveDismissForm(TransitionForm):
    reason = forms.CharField(
        max_length=500,
        help_text="Why the notice keeps running (e.g. the old host still serves it).",
    )
