"""The classification legend that notices show a provider, in each of the service's languages."""

import pytest
from django.conf import settings
from django.utils import translation

from hotline.classification import CLASSIFICATION_CODES, classification_legend
from reports.models import IndustryCategory

LEGENDS = {
    "en": {
        "A1": "Prepubescent child, sexual act",
        "A2": "Prepubescent child, lascivious exhibition",
        "B1": "Pubescent child, sexual act",
        "B2": "Pubescent child, lascivious exhibition",
    },
    "nl": {
        "A1": "Prepuberaal kind, seksuele handeling",
        "A2": "Prepuberaal kind, wellustige vertoning",
        "B1": "Puberaal kind, seksuele handeling",
        "B2": "Puberaal kind, wellustige vertoning",
    },
    "de": {
        "A1": "Vorpubertäres Kind, sexuelle Handlung",
        "A2": "Vorpubertäres Kind, sexuell aufreizende Zurschaustellung",
        "B1": "Pubertierendes Kind, sexuelle Handlung",
        "B2": "Pubertierendes Kind, sexuell aufreizende Zurschaustellung",
    },
    "fr": {
        "A1": "Enfant prépubère, acte sexuel\u00a0:",
        "A2": "Enfant prépubère, exhibition lascive\u00a0:",
        "B1": "Enfant pubère, acte sexuel\u00a0:",
        "B2": "Enfant pubère, exhibition lascive\u00a0:",
    },
}


def test_every_assessable_category_has_a_legend():
    assert set(CLASSIFICATION_CODES) == set(IndustryCategory.values)


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
@pytest.mark.parametrize("code", CLASSIFICATION_CODES)
def test_legend_is_given_in_each_language(language, code):
    legend = classification_legend(code, language=language)
    assert legend.startswith(LEGENDS[language][code])
    if language != "en":
        assert legend != classification_legend(code, language="en")


def test_legend_follows_the_active_language_and_leaves_it_as_it_was():
    with translation.override("de"):
        assert classification_legend("A1").startswith("Vorpubertäres Kind")
        assert classification_legend("A1", language="fr").startswith("Enfant prépubère")
        assert translation.get_language() == "de"


def test_an_unknown_code_is_an_error():
    with pytest.raises(KeyError):
        classification_legend("C3")
