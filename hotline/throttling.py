"""Rate limits. Clients are identified by a keyed hash only: no address is ever stored.

The counters live in the shared cache (Redis in production) so that every web process draws on
one budget per client. The cache only counts requests: when it fails, the throttles count in
the process's own memory, at the same rates, and a report is never refused or lost for it.
"""

import hashlib
import hmac
import logging
import time

from django.conf import settings
from django.core.cache import cache as shared_cache
from django.core.cache.backends.locmem import LocMemCache
from rest_framework.throttling import SimpleRateThrottle

logger = logging.getLogger(__name__)


class FailSafeCache:
    """The shared cache, or this process's memory for as long as the shared cache fails.

    After a failure the shared cache is left alone for ``retry_seconds``, so an outage costs one
    failed call per process per interval, not one per request. While it lasts each process keeps
    its own counters: with N web processes a client may get up to N times its budget.
    """

    retry_seconds = 10.0

    def __init__(self):
        # Room for many clients: culling a full cache would hand evicted clients a new budget.
        self._local = LocMemCache(
            "hotline-throttle-fallback", {"OPTIONS": {"MAX_ENTRIES": 100_000}}
        )
        self._shared_skipped_until = 0.0
        self._failing = False

    def get(self, key, default=None):
        return self._call("get", key, default)

    def set(self, key, value, timeout=None):
        self._call("set", key, value, timeout)

    def clear(self):
        """Forget the fallback counters and try the shared cache again at the next call."""
        self._local.clear()
        self._shared_skipped_until = 0.0
        self._failing = False

    def _call(self, method: str, *args):
        now = time.time()
        if now >= self._shared_skipped_until:
            try:
                result = getattr(shared_cache, method)(*args)
            except Exception as error:  # whatever the backend raises: counting must not fail
                self._shared_skipped_until = now + self.retry_seconds
                if not self._failing:
                    self._failing = True
                    logger.warning(
                        "The rate-limit cache failed (%s: %s); limits are counted per-process "
                        "until it answers again.",
                        type(error).__name__,
                        error,
                    )
            else:
                if self._failing:
                    self._failing = False
                    logger.info("The rate-limit cache answers again; limits are shared again.")
                return result
        return getattr(self._local, method)(*args)


throttle_cache = FailSafeCache()


class FailSafeRateThrottle(SimpleRateThrottle):
    cache = throttle_cache


def _keyed_hash(ident: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), ident.encode(), hashlib.sha256).hexdigest()


class HashedClientRateThrottle(FailSafeRateThrottle):
    """Per client address, kept in the cache as an HMAC of the address under SECRET_KEY."""

    def get_cache_key(self, request, view):
        ident = _keyed_hash(self.get_ident(request))
        return self.cache_format % {"scope": self.scope, "ident": ident}


class PublicIntakeThrottle(HashedClientRateThrottle):
    scope = "public_intake"


class ReportStatusThrottle(HashedClientRateThrottle):
    scope = "report_status"


class APIKeyRateThrottle(FailSafeRateThrottle):
    """Per API key (its public prefix), for partners and providers."""

    def get_cache_key(self, request, view):
        if request.auth is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.prefix}


class PartnerThrottle(APIKeyRateThrottle):
    scope = "partner"


class ProviderThrottle(APIKeyRateThrottle):
    scope = "provider"


class AnswerPageClientThrottle(HashedClientRateThrottle):
    """The one-click answer page, per client address."""

    scope = "answer_page"


class AnswerLinkThrottle(FailSafeRateThrottle):
    """The one-click answer page, per link (the URL's ``token``, kept as an HMAC): a link that
    leaked is not hammered from many addresses either."""

    scope = "answer_link"

    def get_cache_key(self, request, view):
        token = request.resolver_match.kwargs["token"]
        return self.cache_format % {"scope": self.scope, "ident": _keyed_hash(token)}
