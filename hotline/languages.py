"""The public pages' languages: the visitor's own choice, else the browser's, among those offered.

The service speaks every language in ``LANGUAGES`` (providers' notices), but the public pages
offer only ``HOTLINE_PUBLIC_LANGUAGES``, whose public texts are fully translated: a page half in
German and marked ``lang="de"`` would mislead a reporter. So those pages choose their language
here rather than through ``LocaleMiddleware`` alone.
"""

from functools import wraps

from django.conf import settings
from django.core.checks import Error, register
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation.trans_real import parse_accept_lang_header

__all__ = ["in_public_language", "public_language_for", "public_languages"]


def public_language_for(request) -> str:
    """The language switch's cookie if it names a public language, else the first public
    language the browser accepts (``nl-BE`` counts as ``nl``), else ``LANGUAGE_CODE``."""
    offered = settings.HOTLINE_PUBLIC_LANGUAGES
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if chosen in offered:
        return chosen
    for accepted, _quality in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        if accepted == "*":
            break
        for candidate in (accepted, accepted.split("-")[0]):
            if candidate in offered:
                return candidate
    return settings.LANGUAGE_CODE


def in_public_language(view):
    """Run a public page's view, and render its page, in the visitor's public language."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        language = public_language_for(request)
        with translation.override(language):
            request.LANGUAGE_CODE = language
            response = view(request, *args, **kwargs)
        response.headers["Content-Language"] = language
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return response

    return wrapper


def public_languages(request) -> dict:
    """Context processor: the languages the public pages' switch offers, named in their own."""
    names = dict(settings.LANGUAGES)
    return {"public_languages": [(code, names[code]) for code in settings.HOTLINE_PUBLIC_LANGUAGES]}


@register()
def public_languages_check(app_configs, **kwargs):
    offered = settings.HOTLINE_PUBLIC_LANGUAGES
    known = dict(settings.LANGUAGES)
    errors = [
        Error(f"HOTLINE_PUBLIC_LANGUAGES names {code!r}, which is not in LANGUAGES.")
        for code in offered
        if code not in known
    ]
    if settings.LANGUAGE_CODE not in offered:
        errors.append(
            Error(
                f"LANGUAGE_CODE {settings.LANGUAGE_CODE!r} must be one of "
                f"HOTLINE_PUBLIC_LANGUAGES ({', '.join(offered)}): it is the public pages' "
                "default."
            )
        )
    return errors
