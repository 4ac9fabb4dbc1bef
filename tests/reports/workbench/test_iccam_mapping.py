"""Every assessment value has its ICCAM number, so that exchange is a mapping."""

import pytest

from reports import iccam
from reports.models import NotIllegalReason, PaymentMethod, Report
from tests.reports.factories import ReportFactory


@pytest.mark.parametrize("field", sorted(iccam.VALUES))
def test_every_choice_of_an_assessment_field_has_its_own_iccam_number(field):
    if field == "payment_methods":
        choices = set(PaymentMethod.values)
    else:
        choices = {value for value, _label in Report._meta.get_field(field).choices}
    assert set(iccam.VALUES[field]) == choices
    assert len(set(iccam.VALUES[field].values())) == len(choices)  # one-to-one


def test_a_report_reads_in_iccam_terms_with_not_determined_where_nothing_was_chosen():
    report = ReportFactory.build(
        legal_status="national",
        content_type="container",
        site_type="file_host",
        commerciality="commercial",
        payment_methods=["bitcoin", "visa"],
        is_virtual=True,
        age_group="",
        gender="female",
    )

    assert iccam.assessment_in_iccam_terms(report) == {
        "classification": 2,
        "contentType": 3,
        "sourceUrlSiteType": 3,
        "sourceUrlCommerciality": 2,
        "sourceUrlPaymentMethods": [13, 6],
        "ageCategorization": 1,
        "genderCategorization": 2,
        "virtualContentCategorization": 1,
    }


def test_content_not_found_is_content_unavailable_and_the_rest_not_illegal():
    actions = iccam.NOT_ILLEGAL_ACTION
    assert actions[NotIllegalReason.NOT_FOUND] == iccam.ACTION_CONTENT_UNAVAILABLE
    others = {action for reason, action in actions.items() if reason != NotIllegalReason.NOT_FOUND}
    assert others == {iccam.ACTION_NOT_ILLEGAL}
