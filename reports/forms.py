from datetime import UTC

from django import forms
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from hotline.domains import host_suffixes
from hotline.models import Agency, PartnerHotline, Provider
from hotline.validators import country_code_clean
from reports.answers import ANSWER_DISPUTE, ANSWER_REMOVED, NOTICE_ANSWERS
from reports.models import (
    DESCRIPTION_MAX_LENGTH,
    ILLEGAL,
    AgeGroup,
    Commerciality,
    ContentType,
    Escalation,
    Gender,
    IndustryCategory,
    LegalStatus,
    NotActionableReason,
    Notice,
    NotIllegalReason,
    PaymentMethod,
    ReporterCategory,
    SiteType,
)
from reports.selectors.report_page import escalation_label


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
    def __init__(self, *args, report=None, **kwargs):
        self.report = report  # for choices that are the report's own (its escalations)
        super().__init__(*args, **kwargs)

    def workflow_kwargs(self) -> dict:
        return dict(self.cleaned_data)


def _blank_first(choices, label=None):
    """A required choice starts blank: nothing is assessed by default."""
    return [("", label or "---------"), *choices]


YES_NO_UNKNOWN = [("", _("not determined")), ("yes", _("yes")), ("no", _("no"))]


class NotActionableForm(TransitionForm):
    reason = forms.ChoiceField(choices=_blank_first(NotActionableReason.choices))
    not_illegal_reason = forms.ChoiceField(
        label=_("Why not illegal"),
        choices=_blank_first(NotIllegalReason.choices),
        required=False,
        help_text=_("Only when the reason is not illegal."),
    )

    def clean(self):
        data = super().clean()
        if data.get("reason") == NotActionableReason.NOT_ILLEGAL and not data.get(
            "not_illegal_reason"
        ):
            self.add_error("not_illegal_reason", _("Say why it is not illegal."))
        if data.get("reason") != NotActionableReason.NOT_ILLEGAL:
            data["not_illegal_reason"] = ""
        return data


class IllegalForm(TransitionForm):
    """The assessment in ICCAM's vocabularies (docs/iccam.md); the category's legend is shown
    next to the choice by the page."""

    legal_status = forms.ChoiceField(
        label=_("Classification"),
        choices=_blank_first([c for c in LegalStatus.choices if c[0] in ILLEGAL]),
    )
    industry_category = forms.ChoiceField(
        choices=_blank_first(IndustryCategory.choices), label=_("Category")
    )
    content_type = forms.ChoiceField(choices=_blank_first(ContentType.choices))
    site_type = forms.ChoiceField(choices=_blank_first(SiteType.choices))
    commerciality = forms.ChoiceField(choices=_blank_first(Commerciality.choices))
    payment_methods = forms.MultipleChoiceField(
        choices=PaymentMethod.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    is_virtual = forms.ChoiceField(
        label=_("Virtual (drawn or generated)"), choices=YES_NO_UNKNOWN, required=False
    )
    is_user_generated = forms.ChoiceField(
        label=_("User-generated"), choices=YES_NO_UNKNOWN, required=False
    )
    is_child_modeling = forms.ChoiceField(
        label=_("Child modelling"), choices=YES_NO_UNKNOWN, required=False
    )
    age_group = forms.ChoiceField(
        choices=[("", _("not determined")), *AgeGroup.choices[:-1]], required=False
    )
    gender = forms.ChoiceField(
        choices=[("", _("not determined")), *Gender.choices[:-1]], required=False
    )

    def workflow_kwargs(self):
        data = dict(self.cleaned_data)
        for flag in ("is_virtual", "is_user_generated", "is_child_modeling"):
            data[flag] = {"yes": True, "no": False}.get(data[flag])
        return data


class IllegalStepForm(IllegalForm):
    """The assessment, and what its second button does next: notify the provider shown, or
    forward to the partner shown (hidden: the page names them on the button)."""

    provider = forms.ModelChoiceField(
        queryset=Provider.objects.filter(active=True), required=False, widget=forms.HiddenInput
    )
    partner = forms.ModelChoiceField(
        queryset=PartnerHotline.objects.filter(active=True),
        required=False,
        widget=forms.HiddenInput,
    )
    country = forms.CharField(max_length=2, required=False, widget=forms.HiddenInput)

    def workflow_kwargs(self):
        data = super().workflow_kwargs()
        provider, partner = data.pop("provider"), data.pop("partner")
        data["provider_id"] = provider.pk if provider else None
        data["partner_id"] = partner.pk if partner else None
        return data


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


class EscalationChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return escalation_label(obj)


class UrgentEscalateForm(TransitionForm):
    """An analyst's own escalation: urgent only (a child may be in immediate danger)."""

    agency = forms.ModelChoiceField(queryset=Agency.objects.filter(active=True))
    channel = forms.ChoiceField(choices=Escalation.Channel.choices)
    agency_reference = forms.CharField(max_length=200, required=False)
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, required=False
    )

    def workflow_kwargs(self):
        data = dict(self.cleaned_data)
        data["agency_id"] = data.pop("agency").pk
        data["kind"] = Escalation.Kind.URGENT
        return data


class EscalateForm(UrgentEscalateForm):
    """Any kind of escalation, or the correction of an earlier one of this report."""

    kind = forms.ChoiceField(choices=Escalation.Kind.choices)
    corrects = EscalationChoice(
        queryset=Escalation.objects.none(),
        required=False,
        label=_("Corrects (an earlier escalation)"),
        help_text=_("Escalations are never edited: a correction is a new entry."),
    )
    field_order = ["agency", "kind", "channel", "agency_reference", "note", "corrects"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.report is not None and self.report.escalations.exists():
            self.fields["corrects"].queryset = self.report.escalations.select_related("agency")
        else:
            del self.fields["corrects"]

    def workflow_kwargs(self):
        data = dict(self.cleaned_data)
        data["agency_id"] = data.pop("agency").pk
        corrects = data.pop("corrects", None)
        data["corrects_id"] = corrects.pk if corrects else None
        return data


def _current_zone_named() -> str:
    """``Europe/Amsterdam (CET)``: the zone the admin reads typed times in (the hotline's)."""
    return f"{timezone.get_current_timezone_name()} ({timezone.localtime():%Z})"


def _in_current_zone(text: str):
    """A time field's help text, naming the zone its time is read in when it is shown."""
    return format_lazy(text, zone=lazy(_current_zone_named, str)())


class HoldForm(TransitionForm):
    agency = forms.ModelChoiceField(queryset=Agency.objects.filter(active=True))
    until = forms.DateTimeField(
        help_text=_in_current_zone(_("Time in {zone}, e.g. 2026-12-01 18:00")),
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
        help_text=_in_current_zone(_("Time in {zone}; empty means now.")),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


class WithdrawNoticeForm(TransitionForm):
    reason = forms.CharField(max_length=500)


class DisputeAnswerForm(TransitionForm):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        help_text=_("Recorded on the notice; a rejection's reason is sent to the provider."),
    )


class HostRuleAddForm(forms.Form):
    """ "Reports for this host go to this provider": a host rule from the report's page."""

    domain = forms.ChoiceField(label=_("Reports for"))
    provider = forms.ModelChoiceField(
        queryset=Provider.objects.filter(active=True), label=_("go to")
    )
    note = forms.CharField(max_length=500, required=False)

    def __init__(self, *args, host: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["domain"].choices = [
            (suffix, _("%(domain)s and its subdomains") % {"domain": suffix})
            for suffix in host_suffixes(host)
        ]


class ChecksStopForm(TransitionForm):
    reason = forms.CharField(max_length=500, help_text="E.g. the partner forbids checks.")


class HostingMoveDismissForm(TransitionForm):
    reason = forms.CharField(
        max_length=500,
        help_text="Why the notice keeps running (e.g. the old host still serves it).",
    )


class NoticeAnswerForm(forms.Form):
    """A provider's answer to one notice on the one-click answer page (reports/answers.py)."""

    answer = forms.ChoiceField(choices=[(answer, answer) for answer in NOTICE_ANSWERS])
    # A browser's datetime-local field: the time in UTC, as the page says (TIME_ZONE is UTC).
    removed_at = forms.DateTimeField(required=False)
    reason = forms.CharField(required=False, max_length=2000)

    def __init__(self, *args, notice: Notice, **kwargs):
        self.notice = notice
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        answer = data.get("answer")
        if answer == ANSWER_DISPUTE and "reason" not in self.errors and not data.get("reason"):
            self.add_error("reason", _("Give the reason for the dispute."))
        removed_at = data.get("removed_at")
        if answer == ANSWER_REMOVED and removed_at is not None:
            handed_off_at = self.notice.handed_off_at
            if removed_at > timezone.now():
                self.add_error("removed_at", _("The removal time is in the future."))
            elif handed_off_at is not None and removed_at < handed_off_at:
                self.add_error(
                    "removed_at",
                    _("The removal time is before the notice reached you (%(sent)s UTC).")
                    % {"sent": handed_off_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")},
                )
        return data
