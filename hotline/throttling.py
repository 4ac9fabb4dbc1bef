"""Rate limits. Clients are identified by a keyed hash only: no address is ever stored."""

import hashlib
import hmac

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class HashedClientRateThrottle(SimpleRateThrottle):
    """Per client address, kept in the cache as an HMAC of the address under SECRET_KEY."""

    def get_cache_key(self, request, view):
        ident = self.get_ident(request)
        digest = hmac.new(settings.SECRET_KEY.encode(), ident.encode(), hashlib.sha256)
        return self.cache_format % {"scope": self.scope, "ident": digest.hexdigest()}


class PublicIntakeThrottle(HashedClientRateThrottle):
    scope = "public_intake"


class ReportStatusThrottle(HashedClientRateThrottle):
    scope = "report_status"


class APIKeyRateThrottle(SimpleRateThrottle):
    """Per API key (its public prefix), for partners and providers."""

    def get_cache_key(self, request, view):
        if request.auth is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.prefix}


class PartnerThrottle(APIKeyRateThrottle):
    scope = "partner"


class ProviderThrottle(APIKeyRateThrottle):
    scope = "provider"
