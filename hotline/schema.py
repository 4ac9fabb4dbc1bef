"""OpenAPI description of the API key authentication (registered by HotlineConfig.ready)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class PartnerAPIKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "hotline.api.PartnerKeyAuthentication"
    name = "PartnerApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "A partner API key, sent as `Authorization: Api-Key <key>`.",
        }


class ProviderAPIKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "hotline.api.ProviderKeyAuthentication"
    name = "ProviderApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "A provider API key, sent as `Authorization: Api-Key <key>`.",
        }


class AuditAPIKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "hotline.api.AuditKeyAuthentication"
    name = "AuditApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "An audit API key, sent as `Authorization: Api-Key <key>`.",
        }
