"""Staff roles as Django groups, with least privilege each.

Analysts triage; supervisors also escalate to agencies, put reports on hold, override claims and
keep the directory; auditors read everything and change nothing. Nobody deletes reports, events
or escalations: the admin offers no delete for them, and these groups hold no delete permission.
"""

VIEW_ALL = [
    "reports.view_report",
    "reports.view_event",
    "reports.view_escalation",
    "reports.view_hold",
    "reports.view_notice",
    "reports.view_outgoingmessage",
    "hotline.view_provider",
    "hotline.view_providerdomain",
    "hotline.view_providernetwork",
    "hotline.view_partnerhotline",
    "hotline.view_agency",
]

ROLES: dict[str, list[str]] = {
    "analyst": [*VIEW_ALL, "reports.triage_report"],
    "supervisor": [
        *VIEW_ALL,
        "reports.triage_report",
        "reports.escalate_report",
        "reports.hold_report",
        "reports.override_report",
        "reports.view_sla",
        "hotline.add_provider",
        "hotline.change_provider",
        "hotline.add_providerdomain",
        "hotline.change_providerdomain",
        "hotline.delete_providerdomain",
        "hotline.add_providernetwork",
        "hotline.change_providernetwork",
        "hotline.delete_providernetwork",
        "hotline.add_partnerhotline",
        "hotline.change_partnerhotline",
        "hotline.add_agency",
        "hotline.change_agency",
    ],
    "auditor": [
        *VIEW_ALL,
        "reports.view_sla",
        "hotline.view_partnerapikey",
        "hotline.view_providerapikey",
        "hotline.view_auditapikey",
        "reports.view_auditcheckpoint",
    ],
}


def roles_sync(apps) -> None:
    """Make each group hold exactly its permissions (used by data migrations).

    Permissions of models that do not exist yet at that point of the migration history are
    left out; the migration that adds such models calls this again.
    """
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True  # create_permissions skips apps without this
        create_permissions(app_config, apps=apps, verbosity=0)
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for role, codes in ROLES.items():
        group, _ = group_model.objects.get_or_create(name=role)
        wanted = []
        for code in codes:
            app_label, codename = code.split(".")
            wanted.extend(
                permission_model.objects.filter(
                    content_type__app_label=app_label, codename=codename
                )
            )
        group.permissions.set(wanted)
