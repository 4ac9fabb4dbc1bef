"""The SLA figures as a CSV table and as a Markdown page (the API, the dashboard, the command)."""

from hotline.export import csv_text, markdown_cell
from reports.sla.figures import COUNTS

COLUMNS = [
    "group",
    *COUNTS,
    "compliance_rate",
    "removal_median_seconds",
    "removal_p90_seconds",
    "repeat_notices",
    "time_to_act_median_seconds",
]


def sla_csv(report: dict) -> str:
    return csv_text(COLUMNS, report["groups"])


def sla_markdown(report: dict) -> str:
    lines = [
        f"# SLA compliance {report['from'][:10]} to {report['to'][:10]} "
        f"(as of {report['as_of'][:16]} UTC), by {report['group_by']}",
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
