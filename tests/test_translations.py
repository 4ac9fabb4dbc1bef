"""The translation catalogues: the committed .mo files say what their .po files say, and the
public pages' texts are translated in every public language.

The .mo files are what runs (a machine without GNU gettext cannot compile them), so one left
behind by an edit of its .po would silently show stale or English text.
"""

import re
from gettext import GNUTranslations
from pathlib import Path

import polib
import pytest
from django.conf import settings

LOCALE = Path(settings.LOCALE_PATHS[0])
CATALOGUES = sorted(LOCALE.glob("*/LC_MESSAGES/django.po"))
# Where every text is one a member of the public can see on the public pages.
PUBLIC_SOURCES = {
    "hotline/addresses.py",
    "hotline/url.py",
    "reports/views.py",
    "reports/templates/reports/base.html",
    "reports/templates/reports/report_form.html",
    "reports/templates/reports/report_received.html",
    "reports/templates/reports/report_status.html",
}
PLACEHOLDER = re.compile(r"%\(\w+\)[sdr]|<[^>]+>")


def compiled_as_msgfmt_would(po: polib.POFile) -> dict:
    """The messages msgfmt writes: translated, not fuzzy, not obsolete; keyed as
    ``GNUTranslations`` keys them."""
    catalogue = {}
    for entry in po.translated_entries():
        msgid = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        if entry.msgid_plural:
            for index, text in entry.msgstr_plural.items():
                catalogue[(msgid, int(index))] = text
        else:
            catalogue[msgid] = entry.msgstr
    return catalogue


def test_every_language_has_a_catalogue():
    languages = {path.parts[-3] for path in CATALOGUES}
    assert languages == {code for code, _name in settings.LANGUAGES} - {"en"}


@pytest.mark.parametrize("po_path", CATALOGUES, ids=lambda path: path.parts[-3])
def test_committed_mo_matches_its_po(po_path):
    po = polib.pofile(str(po_path))
    with open(po_path.with_suffix(".mo"), "rb") as mo:
        compiled = GNUTranslations(mo)
    in_mo = {key: text for key, text in compiled._catalog.items() if key != ""}
    assert in_mo == compiled_as_msgfmt_would(po), f"{po_path} changed: run `make messages`"
    # msgfmt leaves out the POT-Creation-Date, so that a .mo does not change with it alone.
    header = {
        key.lower(): value.strip()
        for key, value in po.metadata.items()
        if key != "POT-Creation-Date"
    }
    assert compiled.info() == header, f"{po_path}'s header changed: run `make messages`"


@pytest.mark.parametrize("po_path", CATALOGUES, ids=lambda path: path.parts[-3])
def test_translations_keep_placeholders_and_markup(po_path):
    for entry in polib.pofile(str(po_path)).translated_entries():
        # A plural entry's first form is the singular (n = 1 in nl, de and fr; 0 too in fr).
        forms = (
            [
                (entry.msgid if index == 0 else entry.msgid_plural, text)
                for index, text in sorted(entry.msgstr_plural.items())
            ]
            if entry.msgid_plural
            else [(entry.msgid, entry.msgstr)]
        )
        for english, text in forms:
            assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(english)), (
                entry.msgid
            )


@pytest.mark.parametrize("po_path", CATALOGUES, ids=lambda path: path.parts[-3])
def test_no_translation_is_fuzzy(po_path):
    # A fuzzy entry is left out of the .mo: the review status is in the header comment instead.
    po = polib.pofile(str(po_path))
    assert not po.metadata_is_fuzzy
    assert [entry.msgid for entry in po.fuzzy_entries()] == []
    assert "Reviewed:" in po.header


@pytest.mark.parametrize(
    "language", [code for code in settings.HOTLINE_PUBLIC_LANGUAGES if code != "en"]
)
def test_public_pages_are_fully_translated(language):
    po = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    public = [e for e in po if {path for path, _line in e.occurrences} & PUBLIC_SOURCES]
    assert len(public) > 40
    assert [entry.msgid for entry in public if not entry.translated()] == []
