"""A notice speaks its provider's language (``Provider.language``: en, nl, de, fr): the subject,
the text and HTML bodies, the classification legend and the answer page the e-mail links to. The
X-ARF documents stay machine-readable English. The notices are sent through the workflow and the
outbox to Django's locmem mail backend, and the answer page is opened from the e-mail's link."""

import json
from urllib.parse import urlencode

import pytest
from django.core import mail
from django.test import Client
from django.utils.html import escape

from hotline.url import defang
from reports.models import OutgoingMessage
from reports.notices import message_reference, xarf_document
from tests.reports.answer_page.support import PUBLIC_URL, form, link_for, notices_mail
from tests.reports.factories import ActionableReportFactory, ProviderFactory

pytestmark = pytest.mark.django_db

URL = "https://img.share-example.com/gallery/view.php?id=77&page=2"
DEADLINE = "2026-03-03T09:00:00Z"  # the clock's moment + 24 h, the default deadline
NBSP = "\u00a0"  # French puts one before a colon or a semicolon
APOSTROPHE = "\u2019"  # French's typographic one

# What each language's provider reads; {reference} and {ref} are filled per notice.
SPOKEN = {
    "en": {
        "subject": "[HL-ref:{ref}] Notice and takedown {reference}: remove by {deadline}",
        "heading": "NOTICE AND TAKEDOWN",
        "html_heading": "Notice and takedown",
        "one": "Please remove it. Each address has its own deadline.",
        "legend": "Prepubescent child, sexual act: a child who has not reached puberty",
        "media": ".), image\n",
        "deadline": "Remove by: {deadline} (UTC)",
        "defanged": "URL (defanged, for reading): {defanged}",
        "html_deadline": "Remove by (UTC)",
    },
    "nl": {
        "subject": "[HL-ref:{ref}] Melding {reference}: verwijderen vóór {deadline}",
        "heading": "MELDING EN VERZOEK TOT VERWIJDERING",
        "html_heading": "Melding en verzoek tot verwijdering",
        "one": "Wij verzoeken u deze te verwijderen. Elk adres heeft een eigen termijn.",
        "legend": "Prepuberaal kind, seksuele handeling: een kind dat de puberteit nog niet",
        "media": ".), afbeelding\n",
        "deadline": "Termijn voor verwijdering: {deadline} (UTC)",
        "defanged": "URL (onschadelijk gemaakt, om te lezen): {defanged}",
        "html_deadline": "Termijn voor verwijdering (UTC)",
    },
    "de": {
        "subject": "[HL-ref:{ref}] Meldung {reference}: Entfernung bis {deadline}",
        "heading": "MELDUNG UND AUFFORDERUNG ZUR ENTFERNUNG",
        "html_heading": "Meldung und Aufforderung zur Entfernung",
        "one": "Bitte entfernen Sie ihn. Für jede Adresse gilt eine eigene Frist.",
        "legend": "Vorpubertäres Kind, sexuelle Handlung: ein Kind, das die Pubertät noch nicht",
        "media": ".), Bild\n",
        "deadline": "Frist zur Entfernung: {deadline} (UTC)",
        "defanged": "URL (entschärft, zum Lesen): {defanged}",
        "html_deadline": "Frist zur Entfernung (UTC)",
    },
    "fr": {
        "subject": (
            f"[HL-ref:{{ref}}] Signalement {{reference}}{NBSP}: retrait avant le {{deadline}}"
        ),
        "heading": "SIGNALEMENT ET DEMANDE DE RETRAIT",
        "html_heading": "Signalement et demande de retrait",
        "one": "Veuillez le retirer. Chaque adresse a son propre délai.",
        "legend": "Enfant prépubère, acte sexuel",
        "media": ".), image\n",
        "deadline": "Délai de retrait: {deadline} (UTC)",
        "defanged": "URL (désactivée, pour la lecture): {defanged}",
        "html_deadline": "Délai de retrait (UTC)",
    },
}
# The grouped message of two URLs: the plural form of the request, and of the subject.
TWO = {
    "en": (
        "at the 2 addresses below",
        "Please remove each of them.",
        "[HL-ref:{ref}] Notice and takedown: 2 URLs, first due {deadline}",
    ),
    "nl": (
        "op de 2 onderstaande adressen",
        "Wij verzoeken u elk daarvan te verwijderen.",
        "[HL-ref:{ref}] Melding: 2 URL's, eerste termijn verloopt {deadline}",
    ),
    "de": (
        "unter den 2 unten genannten Adressen",
        "Bitte entfernen Sie jeden dieser Inhalte.",
        "[HL-ref:{ref}] Meldung: 2 URLs, erste Frist endet {deadline}",
    ),
    "fr": (
        "aux 2 adresses ci-dessous",
        "Veuillez retirer chacun de ces contenus.",
        f"[HL-ref:{{ref}}] Signalement{NBSP}: 2 URL, premier délai le {{deadline}}",
    ),
}
# The answer page: its title, the three buttons, and what it says once an answer is recorded.
PAGE = {
    "en": (
        "Notice and takedown: your answers",
        ("Removed", "Acknowledge", "Dispute"),
        "Recorded: you acknowledged {reference}.",
    ),
    "nl": (
        "Melding en verzoek tot verwijdering: uw antwoorden",
        ("Verwijderd", "Ontvangst bevestigen", "Betwisten"),
        "Vastgelegd: u hebt de ontvangst van {reference} bevestigd.",
    ),
    "de": (
        "Meldung und Aufforderung zur Entfernung: Ihre Antworten",
        ("Entfernt", "Empfang bestätigen", "Bestreiten"),
        "Erfasst: Sie haben den Empfang von {reference} bestätigt.",
    ),
    "fr": (
        f"Signalement et demande de retrait{NBSP}: vos réponses",
        ("Retiré", "Accuser réception", "Contester"),
        f"Enregistré{NBSP}: vous avez accusé réception de {{reference}}.",
    ),
}
LANGUAGES = sorted(SPOKEN)


@pytest.fixture(autouse=True)
def _public_url(settings):
    settings.HOTLINE_PUBLIC_URL = PUBLIC_URL


def provider_speaking(language: str):
    return ProviderFactory(
        name=f"Hosting {language}", abuse_email=f"abuse@{language}.example", language=language
    )


def email_to(provider):
    [email] = [email for email in mail.outbox if provider.abuse_email in email.to]
    return email


def html_of(email) -> str:
    [(html, mimetype)] = email.alternatives
    assert mimetype == "text/html"
    return html


def post_answer(client: Client, path: str, data: dict):
    """Post as the page's form does (urlencoded) and follow its redirect back to the page."""
    return client.post(
        path, urlencode(data), content_type="application/x-www-form-urlencoded", follow=True
    )


def shown(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def fill(text: str, notice) -> str:
    message = OutgoingMessage.objects.get(provider=notice.provider)
    return text.format(
        ref=message_reference(message),
        reference=notice.report.reference,
        deadline=DEADLINE,
        defanged=defang(URL),
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_notice_reaches_the_provider_in_its_language(language, actor, clock):
    provider = provider_speaking(language)
    [notice] = notices_mail(
        ActionableReportFactory(provider=provider, submitted_url=URL), actor=actor
    )
    spoken = {key: fill(text, notice) for key, text in SPOKEN[language].items()}

    email = email_to(provider)
    assert email.subject == spoken["subject"]
    assert email.body.startswith(spoken["heading"] + "\n[HL-ref:")
    for phrase in ("one", "legend", "media", "deadline", "defanged"):
        assert spoken[phrase] in email.body
    assert f"\n   {URL}\n" in email.body  # the exact URL, for the provider's tools
    assert link_for(provider.abuse_email) in email.body
    html = html_of(email)
    assert f'<html lang="{language}">' in html
    assert f"{spoken['html_heading']} <small>[HL-ref:" in html
    assert spoken["html_deadline"] in html
    assert f"<strong>{DEADLINE}</strong>" in html
    assert f"<code>{escape(URL)}</code>" in html
    assert f"<code>{escape(defang(URL))}</code>" in html
    assert escape(spoken["legend"]) in html
    if language != "en":
        assert "Please remove" not in email.body
        assert "Remove by" not in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_xarf_attachment_stays_english_machine_fields(language, actor, clock):
    provider = provider_speaking(language)
    [notice] = notices_mail(
        ActionableReportFactory(provider=provider, submitted_url=URL), actor=actor
    )

    [attachment] = email_to(provider).attachments
    document = json.loads(attachment.content)
    assert attachment.filename == f"xarf-{notice.report.reference}.json"
    assert document == xarf_document(notice)  # rendered outside any language
    assert document["description"] == (
        f"Notice-and-takedown {notice.report.reference}: remove by {DEADLINE}."
    )
    assert (document["url"], document["classification"]) == (URL, "A1")
    assert document["tags"][0] == "classification:a1"


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_grouped_message_of_two_urls_uses_the_plural(language, actor, clock):
    provider = provider_speaking(language)
    notices = notices_mail(
        ActionableReportFactory(provider=provider, submitted_url=URL),
        ActionableReportFactory(provider=provider),
        actor=actor,
    )
    addresses, request, subject = TWO[language]

    email = email_to(provider)
    assert email.subject == fill(subject, notices[0])
    assert f"{addresses} " in email.body
    assert request in email.body
    assert request in html_of(email)
    assert [a.filename for a in email.attachments] == [
        f"xarf-{notice.report.reference}.json" for notice in notices
    ]
    assert fill(SPOKEN[language]["one"], notices[0]) not in email.body


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_answer_page_from_the_email_speaks_the_provider_s_language(language, actor, clock):
    provider = provider_speaking(language)
    [notice] = notices_mail(
        ActionableReportFactory(provider=provider, submitted_url=URL), actor=actor
    )
    title, buttons, recorded = PAGE[language]
    visitor = Client(headers={"accept-language": "nl" if language != "nl" else "de"})
    path = link_for(provider.abuse_email)

    page = visitor.get(path)
    html = page.content.decode()
    assert page.status_code == 200
    assert page["Content-Language"] == language
    assert f'<html lang="{language}">' in html
    assert f"<h1>{escape(title)}</h1>" in html
    for label in buttons:
        assert f">{escape(label)}</button>" in html

    answered = post_answer(visitor, path, form("acknowledge", notice))
    assert shown(answered) == [fill(recorded, notice)]


def test_a_refused_answer_is_explained_in_the_provider_s_language(actor, clock):
    provider = provider_speaking("de")
    [notice] = notices_mail(ActionableReportFactory(provider=provider), actor=actor)

    answered = post_answer(
        Client(headers={"accept-language": "fr"}),
        link_for(provider.abuse_email),
        form("dispute", notice, reason=""),
    )

    assert shown(answered) == [
        f"{notice.report.reference}: Es wurde nichts erfasst. "
        "Bitte begründen Sie, warum Sie die Meldung bestreiten."
    ]


@pytest.mark.parametrize(
    ("visitor", "heading"),
    [
        ("en", "This link is no longer valid"),
        ("nl", "Deze link is niet meer geldig"),
        ("de", "Dieser Link ist nicht mehr gültig"),
        ("fr", f"Ce lien n{APOSTROPHE}est plus valide"),
    ],
)
def test_the_invalid_link_page_speaks_the_visitor_s_language(visitor, heading, db):
    page = Client(headers={"accept-language": visitor}).get(f"/notice/{'0' * 64}/")

    html = page.content.decode()
    assert page.status_code == 404
    assert f'<html lang="{visitor}">' in html
    assert f"<h1>{heading}</h1>" in html
