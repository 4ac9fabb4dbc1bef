"""How a provider is reached, kept in the directory: the channel, the escalation contact, the
webhook endpoint (checked before anything is sent to it), the notice language, and the webhook
secret, which is shown once and never again."""

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from hotline.directory import directory_export
from hotline.models import Provider
from hotline.secrets import secret_decrypt
from reports.models import Event
from tests.hotline.test_directory_audit import CHANGE_URL, post_form, provider_form
from tests.reports.factories import ProviderFactory, StaffUserFactory

pytestmark = pytest.mark.django_db

ENTRY = """\
providers:
  - name: Example Hooks BV
    country: NL
    abuse_email: abuse@hooks.example
{extra}"""


def directory_file(tmp_path, extra: str):
    path = tmp_path / "directory.yaml"
    path.write_text(ENTRY.format(extra=extra), encoding="utf-8")
    return str(path)


def load_refused(path) -> str:
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("directory", "load", path, stdout=StringIO(), stderr=err)
    return err.getvalue()


def directory_events() -> list[Event]:
    return list(Event.objects.filter(report__isnull=True).order_by("id"))


@pytest.fixture
def production(settings):
    settings.PRODUCTION = True
    settings.HOTLINE_SANDBOX = None


@pytest.fixture
def sam():
    client = Client()
    client.force_login(StaffUserFactory(username="sam", role="supervisor"))
    return client


@pytest.fixture
def ann():
    client = Client()
    client.force_login(StaffUserFactory(username="ann", role="analyst"))
    return client


# --- the directory file -----------------------------------------------------------------------


def test_a_file_sets_how_the_provider_is_reached_and_the_export_gives_it_back(tmp_path):
    path = directory_file(
        tmp_path,
        "    channel: both\n"
        "    escalation_email: legal@hooks.example\n"
        "    webhook_url: https://hooks.example/abuse\n"
        "    language: de\n",
    )

    call_command("directory", "load", path, stdout=StringIO())

    provider = Provider.objects.get(name="Example Hooks BV")
    assert (
        provider.channel,
        provider.escalation_email,
        provider.webhook_url,
        provider.language,
    ) == ("both", "legal@hooks.example", "https://hooks.example/abuse", "de")
    [exported] = directory_export()["providers"]
    assert exported | {"domains": [], "networks": [], "asns": []} == {
        "name": "Example Hooks BV",
        "country": "NL",
        "abuse_email": "abuse@hooks.example",
        "domains": [],
        "networks": [],
        "asns": [],
        "deadline_hours": None,
        "active": True,
        "channel": "both",
        "escalation_email": "legal@hooks.example",
        "webhook_url": "https://hooks.example/abuse",
        "language": "de",
    }


def test_a_provider_without_delivery_fields_is_reached_by_email_in_english(tmp_path):
    call_command("directory", "load", directory_file(tmp_path, ""), stdout=StringIO())

    provider = Provider.objects.get(name="Example Hooks BV")
    assert (provider.channel, provider.webhook_url, provider.language) == ("email", "", "en")


def test_the_secret_is_never_in_a_file_nor_in_the_export(tmp_path):
    ProviderFactory(name="Example Hooks BV", webhook_secret="encrypted-secret")

    assert "webhook_secret" not in directory_export()["providers"][0]
    error = load_refused(directory_file(tmp_path, "    webhook_secret: whsec_abc\n"))
    assert "line 2: provider 'Example Hooks BV': unknown fields webhook_secret" in error


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("    channel: webhook\n", "webhook_url is required when the channel is webhook"),
        ("    channel: both\n", "webhook_url is required when the channel is both"),
        ("    channel: fax\n", "channel 'fax' must be one of: email, webhook, both"),
        ("    language: es\n", "language 'es' must be one of: en, nl, de, fr"),
        (
            "    escalation_email: legal-at-hooks\n",
            "escalation_email 'legal-at-hooks' is not an e-mail address",
        ),
        (
            "    webhook_url: ftp://hooks.example/abuse\n",
            "webhook_url 'ftp://hooks.example/abuse' must be an http(s) URL",
        ),
        (
            "    webhook_url: https://10.1.2.3/abuse\n",
            "webhook_url 'https://10.1.2.3/abuse' names 10.1.2.3, a private address",
        ),
        (
            "    webhook_url: http://127.0.0.1:8080/\n",
            "names 127.0.0.1, a loopback address",
        ),
        (
            "    webhook_url: https://[fe80::1]/abuse\n",
            "names fe80::1, a link-local address",
        ),
        (
            "    webhook_url: https://user:pw@hooks.example/\n",
            "must not carry a user name or password",
        ),
    ],
)
def test_a_file_with_a_delivery_problem_is_refused_whole(tmp_path, extra, expected):
    error = load_refused(directory_file(tmp_path, extra))

    assert "line 2: provider 'Example Hooks BV': " in error
    assert expected in error
    assert not Provider.objects.exists()


def test_outside_production_plain_http_and_the_documentation_ranges_are_admitted(tmp_path):
    path = directory_file(
        tmp_path, "    channel: webhook\n    webhook_url: http://192.0.2.10/hook\n"
    )

    call_command("directory", "load", path, stdout=StringIO())

    assert Provider.objects.get().webhook_url == "http://192.0.2.10/hook"


@pytest.mark.usefixtures("production")
@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://hooks.example/abuse", "must start with https://"),
        ("https://192.0.2.10/hook", "names 192.0.2.10, a special-purpose address"),
    ],
)
def test_in_production_the_endpoint_is_https_on_a_public_address(tmp_path, url, expected):
    error = load_refused(directory_file(tmp_path, f"    webhook_url: {url}\n"))

    assert expected in error


@pytest.mark.usefixtures("production")
def test_in_production_an_https_endpoint_by_name_is_admitted(tmp_path):
    path = directory_file(
        tmp_path, "    channel: webhook\n    webhook_url: https://hooks.example/a\n"
    )

    call_command("directory", "load", path, stdout=StringIO())

    assert Provider.objects.get().channel == "webhook"


def test_a_changed_channel_from_a_file_is_on_the_audit_trail(tmp_path):
    call_command("directory", "load", directory_file(tmp_path, ""), stdout=StringIO())
    path = directory_file(
        tmp_path, "    channel: webhook\n    webhook_url: https://hooks.example/a\n"
    )

    call_command("directory", "load", path, stdout=StringIO())

    assert directory_events()[-1].data == {
        "created": [],
        "updated": ["provider Example Hooks BV (channel, webhook_url)"],
    }


# --- the admin --------------------------------------------------------------------------------


def test_a_channel_changed_in_the_admin_is_audited_with_old_and_new_values(sam):
    provider = ProviderFactory(name="Example Hooks BV")

    response = post_form(
        sam,
        CHANGE_URL.format(provider.pk),
        provider_form(
            provider,
            channel="both",
            webhook_url="https://hooks.example/abuse",
            escalation_email="legal@hooks.example",
            language="fr",
        ),
    )

    assert response.status_code == 302
    [event] = directory_events()
    assert event.verb == "provider_update"
    assert event.data["changes"] == {
        "channel": ["email", "both"],
        "webhook_url": ["", "https://hooks.example/abuse"],
        "escalation_email": ["", "legal@hooks.example"],
        "language": ["en", "fr"],
    }


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"channel": "webhook"}, "The webhook URL is required when the channel is webhook."),
        (
            {"channel": "both", "webhook_url": "https://192.168.1.5/hook"},
            "The webhook URL names 192.168.1.5, a private address",
        ),
    ],
)
def test_the_admin_refuses_a_webhook_channel_it_cannot_use(sam, changes, error):
    provider = ProviderFactory(name="Example Hooks BV")

    response = post_form(sam, CHANGE_URL.format(provider.pk), provider_form(provider, **changes))

    assert response.status_code == 200
    assert error in response.content.decode()
    provider.refresh_from_db()
    assert provider.channel == "email"
    assert directory_events() == []


# --- the webhook secret -----------------------------------------------------------------------


def secret_url(provider) -> str:
    return f"/admin/hotline/provider/{provider.pk}/webhook-secret/"


def secret_make(client, provider):
    return post_form(client, secret_url(provider), {})


def test_a_new_secret_is_shown_once_stored_encrypted_and_audited_without_it(sam):
    provider = ProviderFactory(name="Example Hooks BV")

    response = secret_make(sam, provider)

    [secret] = re.findall(r'<code class="webhook-secret">([^<]+)</code>', response.content.decode())
    assert secret.startswith("whsec_")
    assert "no-store" in response["Cache-Control"]
    provider.refresh_from_db()
    assert provider.webhook_secret != secret and secret not in provider.webhook_secret
    assert secret_decrypt(provider.webhook_secret) == secret
    [event] = directory_events()
    assert (event.verb, event.data) == (
        "provider_webhook_secret_rotate",
        {"provider": provider.pk, "replaced": False},
    )
    assert secret not in str(event.state) + str(event.data)
    page = sam.get(CHANGE_URL.format(provider.pk)).content.decode()
    assert secret not in page
    assert "set (shown once when it was made" in page


def test_a_second_secret_replaces_the_first(sam):
    provider = ProviderFactory(name="Example Hooks BV")
    secret_make(sam, provider)
    provider.refresh_from_db()
    first = secret_decrypt(provider.webhook_secret)

    secret_make(sam, provider)

    provider.refresh_from_db()
    assert secret_decrypt(provider.webhook_secret) != first
    assert directory_events()[-1].data == {"provider": provider.pk, "replaced": True}


def test_only_a_supervisor_makes_a_secret_and_only_by_post(sam, ann):
    provider = ProviderFactory(name="Example Hooks BV")

    assert secret_make(ann, provider).status_code == 403
    assert sam.get(secret_url(provider)).status_code == 302
    assert "New webhook secret" not in ann.get(CHANGE_URL.format(provider.pk)).content.decode()
    assert "New webhook secret" in sam.get(CHANGE_URL.format(provider.pk)).content.decode()
    provider.refresh_from_db()
    assert provider.webhook_secret == ""
    assert directory_events() == []
