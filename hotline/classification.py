"""The industry baseline classification of child sexual abuse material, as hotlines, INHOPE and
the Tech Coalition use it, and its legend for the people a notice goes to.

An analyst's assessment (``Report.industry_category``) is one of four codes. The letter is the
child's development: A prepubescent, B pubescent. The digit is what is shown: 1 a sexual act,
2 a lascivious exhibition (of the genitals or anal area). A notice names the code and explains
it in the provider's language with ``classification_legend``.
"""

from django.utils import translation
from django.utils.translation import gettext_lazy as _

__all__ = ["CLASSIFICATION_CODES", "classification_legend"]

_LEGENDS = {
    "A1": _(
        "Prepubescent child, sexual act: a child who has not reached puberty, shown in a "
        "sexual act."
    ),
    "A2": _(
        "Prepubescent child, lascivious exhibition: a child who has not reached puberty, with "
        "the genitals or anal area shown for a sexual purpose."
    ),
    "B1": _("Pubescent child, sexual act: a child going through puberty, shown in a sexual act."),
    "B2": _(
        "Pubescent child, lascivious exhibition: a child going through puberty, with the "
        "genitals or anal area shown for a sexual purpose."
    ),
}
CLASSIFICATION_CODES = tuple(_LEGENDS)


def classification_legend(code: str, language: str | None = None) -> str:
    """What a classification code means, in ``language`` (a code of ``LANGUAGES``) or else the
    active language; an entry not yet translated is given in English. Raises ``KeyError`` for
    a code that is not one of ``CLASSIFICATION_CODES``."""
    legend = _LEGENDS[code]
    if language is None:
        return str(legend)
    with translation.override(language):
        return str(legend)
