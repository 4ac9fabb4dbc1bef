from django import forms
from django.utils.translation import gettext_lazy as _

from reports.models import DESCRIPTION_MAX_LENGTH, ReporterCategory


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
        help_text=_("Where on the page, in plain words. At most %(max)d characters.")
        % {"max": DESCRIPTION_MAX_LENGTH},
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": DESCRIPTION_MAX_LENGTH}),
        required=False,
    )
    reporter_email = forms.EmailField(
        label=_("Your e-mail address (optional)"),
        help_text=_("Only if we may contact you. It is never passed to the hosting provider."),
        required=False,
    )
