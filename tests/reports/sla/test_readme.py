"""SLA compliance figures: 3. the definitions are written in the README as the code computes
them.
"""

import re

import pytest

from reports.sla import figures as sla_figures
from tests.reports.sla.support import README

pytestmark = pytest.mark.django_db


# --- 3. the definitions are written in the README as the code computes them --------------------


def normalised(text: str) -> str:
    return " ".join(text.replace("``", "`").split())


def test_readme_states_the_definitions_of_the_code():
    readme = README.read_text()
    sections = re.split(r"(?m)^## ", readme)
    section = next(s for s in sections if s.startswith("SLA compliance figures"))
    assert readme.index("## SLA compliance figures") < readme.index("## Configuration")
    assert "Definitions" in section
    bullets = re.findall(r"(?ms)^- (.*?)(?=^- |\Z)", sla_figures.__doc__.split("Definitions", 1)[1])
    assert len(bullets) == 11
    text = normalised(section)
    for bullet in bullets:
        assert normalised(bullet) in text, bullet
    for term in (
        "Cohort",
        "Time to removal",
        "within deadline",
        "Still online past deadline",
        "a miss",
        "Pending",
        "Compliance rate",
        "Repeat notices",
        "Hotline side",
        "Median time to act",
        "Removal time",
        "Verified removals",
        "contested",
        "Re-appearances",
        "Contact failures",
    ):
        assert term in section, term
    for where in ("/api/v1/sla/", "/admin/sla/", "manage.py sla_report", "apikey create --auditor"):
        assert where in section, where
