"""Staff roles as Django groups, with least privilege each.

Analysts triage; supervisors also escalate to agencies, put reports on hold, override claims,
keep the directory and approve the providers the hosting lookup proposes; auditors read
everything and change nothing. Nobody deletes reports, events or escalations: the admin offers
no delete for them, and these groups hold no delete permission.

Each app grants its own models' permissions (``role_grants`` on its AppConfig). After every
``migrate`` (post_migrate) each group is made to hold exactly what the apps grant it, so a new
model's permissions reach the roles without a data migration importing this code.
"""

from django.db import DEFAULT_DB_ALIAS

ROLE_NAMES = ("analyst", "supervisor", "auditor")

DIRECTORY_VIEW = [
    "hotline.view_provider",
    "hotline.view_providerdomain",
    "hotline.view_providernetwork",
    "hotline.view_providerasn",
    "hotline.view_hostrule",
    "hotline.view_providercandidate",
    "hotline.view_partnerhotline",
    "hotline.view_agency",
]

GRANTS: dict[str, list[str]] = {
    "analyst": DIRECTORY_VIEW,
    "supervisor": [
        *DIRECTORY_VIEW,
        "hotline.add_provider",
        "hotline.change_provider",
        "hotline.add_providerdomain",
        "hotline.change_providerdomain",
        "hotline.delete_providerdomain",
        "hotline.add_providernetwork",
        "hotline.change_providernetwork",
        "hotline.delete_providernetwork",
        "hotline.add_providerasn",
        "hotline.change_providerasn",
        "hotline.delete_providerasn",
        "hotline.add_hostrule",
        "hotline.change_hostrule",
        "hotline.delete_hostrule",
        # Approving a candidate creates a provider that then receives notices.
        "hotline.decide_providercandidate",
        "hotline.add_partnerhotline",
        "hotline.change_partnerhotline",
        "hotline.add_agency",
        "hotline.change_agency",
    ],
    "auditor": [
        *DIRECTORY_VIEW,
        "hotline.view_partnerapikey",
        "hotline.view_providerapikey",
        "hotline.view_auditapikey",
    ],
}


def role_permissions() -> dict[str, set[str]]:
    """Each role's permissions ("app_label.codename"), as every installed app grants them."""
    from django.apps import apps

    roles: dict[str, set[str]] = {name: set() for name in ROLE_NAMES}
    for app_config in apps.get_app_configs():
        for role, codes in getattr(app_config, "role_grants", {}).items():
            roles[role] |= set(codes)
    return roles


def roles_sync(*, using: str = DEFAULT_DB_ALIAS, app_config=None, **_signal) -> None:
    """Make each group hold exactly its role's permissions (a post_migrate receiver).

    The signal comes once per installed app; only those that grant anything sync. Permissions
    not created yet (an app later in the same migrate) are left out: that app's signal syncs again.
    """
    if app_config is not None and not getattr(app_config, "role_grants", None):
        return
    from django.contrib.auth.models import Group, Permission

    for role, codes in role_permissions().items():
        group, _ = Group.objects.using(using).get_or_create(name=role)
        wanted = Permission.objects.using(using).none()
        for code in codes:
            app_label, codename = code.split(".")
            wanted |= Permission.objects.using(using).filter(
                content_type__app_label=app_label, codename=codename
            )
        group.permissions.set(wanted)
