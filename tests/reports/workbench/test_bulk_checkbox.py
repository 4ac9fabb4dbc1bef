"""The list's selection column is the admin's own checkbox, written without a widget template
per row (a fifth of the list's server time): same name, value, class and label."""

import pytest
from django.contrib.admin import helpers
from django.forms import CheckboxInput
from django.utils.html import format_html

from reports.admin_bulk import BulkAdminMixin
from tests.reports.factories import ReportFactory

pytestmark = pytest.mark.django_db


def test_the_selection_checkbox_is_the_one_the_admin_would_render():
    report = ReportFactory()
    label = format_html("Select this object for an action - {}", str(report))
    stock = CheckboxInput({"class": "action-select", "aria-label": label}, lambda v: False)

    ours = BulkAdminMixin().action_checkbox(report)

    assert ours == stock.render(helpers.ACTION_CHECKBOX_NAME, str(report.pk))
