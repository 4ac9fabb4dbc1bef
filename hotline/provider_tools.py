"""What the provider's admin page offers besides its form: buttons and links that other apps
add (the case's outbox adds "Test delivery" and the provider's messages) without the
directory's admin knowing them.

A tool is a function of (request, provider) returning entries: ``label``, ``url``, ``help``
and ``post`` (a button posting to ``url``, else a link); none where the user may not use it.
"""

from collections.abc import Callable

ProviderTool = Callable[..., list[dict]]
_TOOLS: list[ProviderTool] = []


def provider_tool_register(tool: ProviderTool) -> ProviderTool:
    """Add a tool to every provider page (at import of the app's admin, once)."""
    if tool not in _TOOLS:
        _TOOLS.append(tool)
    return tool


def provider_tools(request, provider) -> list[dict]:
    return [entry for tool in _TOOLS for entry in tool(request, provider)]
