"""TEMP stand-in for the webhook client written on another branch (dropped at merge)."""

import base64
import secrets


def webhook_secret_generate() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
