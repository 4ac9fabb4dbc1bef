"""What the case's models grant to each staff role (collected by hotline.roles)."""

VIEW_CASE = [
    "reports.view_report",
    "reports.view_event",
    "reports.view_escalation",
    "reports.view_hold",
    "reports.view_notice",
    "reports.view_outgoingmessage",
]

GRANTS: dict[str, list[str]] = {
    "analyst": [*VIEW_CASE, "reports.triage_report"],
    "supervisor": [
        *VIEW_CASE,
        "reports.triage_report",
        "reports.escalate_report",
        "reports.hold_report",
        "reports.override_report",
        "reports.view_sla",
    ],
    "auditor": [*VIEW_CASE, "reports.view_sla", "reports.view_auditcheckpoint"],
}
