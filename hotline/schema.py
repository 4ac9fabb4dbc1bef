"""OpenAPI description of the API key authentications (registered by HotlineConfig.ready), and
of the one JSON error every endpoint answers (hotline.api.exception_handler)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse

ERROR = OpenApiResponse(description="JSON: {detail, fields?}: what was wrong and what to do.")

KEY_SCHEMES = {
    # authentication class: (security scheme name, who holds such keys)
    "hotline.api.PartnerKeyAuthentication": ("PartnerApiKey", "A partner hotline's"),
    "hotline.api.ProviderKeyAuthentication": ("ProviderApiKey", "A hosting provider's"),
    "hotline.api.AuditKeyAuthentication": ("AuditApiKey", "An auditor's (read only)"),
}


def _scheme(target: str, name: str, holder: str) -> type:
    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": f"{holder} API key, sent as `Authorization: Api-Key <key>`.",
        }

    return type(
        f"{name}Scheme",
        (OpenApiAuthenticationExtension,),
        {"target_class": target, "name": name, "get_security_definition": get_security_definition},
    )


# Defining the subclasses is what registers them with drf-spectacular.
SCHEMES = [_scheme(target, name, holder) for target, (name, holder) in KEY_SCHEMES.items()]
