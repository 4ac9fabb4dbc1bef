"""Who did something: recorded on every audit event."""

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Actor:
    kind: str  # one of Event.ActorKind
    label: str
    user: Any = None
    # A provider's API key acts for that provider only (checked by the workflow, under the lock).
    provider_id: int | None = None

    @classmethod
    def public(cls) -> "Actor":
        return cls(kind="public", label="public reporter")

    @classmethod
    def system(cls, label: str = "system") -> "Actor":
        return cls(kind="system", label=label)

    @classmethod
    def for_user(cls, user) -> "Actor":
        return cls(kind="user", label=user.get_username(), user=user)

    @classmethod
    def for_api_key(cls, api_key) -> "Actor":
        # The prefix identifies the key without revealing it.
        return cls(
            kind="api_key",
            label=f"{api_key._meta.model_name}:{api_key.prefix}",
            provider_id=getattr(api_key, "provider_id", None),
        )

    @classmethod
    def provider_link(cls, provider) -> "Actor":
        """The provider answering through the personal link in a notice e-mail (the answer page).
        The link is a key bound to one provider, so it acts under the API key's rules; the label
        says how the answer came."""
        return cls(
            kind="api_key",
            label=f"answer page ({provider.name})"[:200],
            provider_id=provider.pk,
        )
