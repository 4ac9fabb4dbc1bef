"""The analysts' "Paste URLs" form; intake (reports/intake.py) does the real checking."""

from django import forms
from django.utils.translation import gettext_lazy as _

from reports.models import DESCRIPTION_MAX_LENGTH


def pasted_lines(text: str) -> list[tuple[int, str, str]]:
    """``(line number, URL, note)`` for each line that is not blank: the URL up to the first
    space or tab, the note after it."""
    lines = []
    for number, line in enumerate(text.splitlines(), start=1):
        parts = line.split(maxsplit=1)
        if parts:
            lines.append((number, parts[0], parts[1].strip() if len(parts) > 1 else ""))
    return lines


class PasteURLsForm(forms.Form):
    urls = forms.CharField(
        label=_("URLs, one a line"),
        help_text=_("A note for one URL may follow it on its line, after a space or a tab."),
        widget=forms.Textarea(attrs={"rows": 16, "cols": 100, "spellcheck": "false"}),
    )
    note = forms.CharField(
        label=_("Note for all (optional)"),
        help_text=_("Added to every report's description, e.g. where the list came from."),
        max_length=DESCRIPTION_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 100}),
    )

    def clean_urls(self):
        lines = pasted_lines(self.cleaned_data["urls"])
        if not lines:
            raise forms.ValidationError(_("Paste at least one URL."))
        return lines
