"""The SLA figures as a CSV table and as a Markdown page (the API, the dashboard, the command)."""

from hotline.export import csv_text, markdown_cell
from reports.sla.figures import (
    COUNTS,
    DELIVERY_COUNTS,
    VERIFICATION_COUNTS,
    VERIFICATION_NOTES,
)

COLUMNS = [
    "group",
    *COUNTS,
    "compliance_rate",
    "removal_median_seconds",
    "removal_p90_seconds",
    "repeat_notices",
    "time_to_act_median_seconds",
    *VERIFICATION_COUNTS,
    "verified_removal_median_seconds",
    "verified_removal_p90_seconds",
    "reappearances_30d",
    *DELIVERY_COUNTS,
]
# A CSV holds rows only: the report's verification state goes with each one, last.
CSV_COLUMNS = [*COLUMNS, "verification"]


def verification_line(report: dict) -> str:
    """``verification: off — removal times are the providers' or analysts'``."""
    state = report["verification"]
    return f"verification: {state} — {VERIFICATION_NOTES[state]}"


def sla_csv(report: dict) -> str:
    rows = ({**row, "verification": report["verification"]} for row in report["groups"])
    return csv_text(CSV_COLUMNS, rows)


def sla_markdown(report: dict) -> str:
    lines = [
        f"# SLA compliance {report['from'][:10]} to {report['to'][:10]} "
        f"(as of {report['as_of'][:16]} UTC), by {report['group_by']}",
        "",
        verification_line(report),
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
        *(
            "| " + " | ".join(markdown_cell(row[name]) for name in COLUMNS) + " |"
            for row in report["groups"]
        ),
        "",
        "## The hotline's side",
        "",
        "| figure | value |",
        "|---|---|",
        *(f"| {name} | {markdown_cell(value)} |" for name, value in report["hotline"].items()),
        "",
    ]
    return "\n".join(lines)
