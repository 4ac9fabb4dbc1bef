"""Django's CSRF check for a page served with ``Referrer-Policy: no-referrer`` (a page whose URL
carries a secret, such as the one-click answer page).

A browser posting a form from such a page sends ``Origin: null`` and no Referer: the stock check
refuses both (an Origin that is not this site's; on HTTPS, a missing Referer). Here they count as
"not given", so the token decides: the CSRF cookie and the form's field must still match. Any real
Origin must still be this site's, and a Referer, if one is sent, must still be.
"""

from django.middleware.csrf import CsrfViewMiddleware
from django.utils.decorators import decorator_from_middleware
from django.views.decorators.csrf import csrf_exempt


class NoReferrerCsrfViewMiddleware(CsrfViewMiddleware):
    def _origin_verified(self, request):
        return request.META["HTTP_ORIGIN"] == "null" or super()._origin_verified(request)

    def _check_referer(self, request):
        if "HTTP_REFERER" in request.META:
            super()._check_referer(request)


def csrf_protect_no_referrer(view):
    """The view checked by NoReferrerCsrfViewMiddleware instead of the site-wide check."""
    return csrf_exempt(decorator_from_middleware(NoReferrerCsrfViewMiddleware)(view))
