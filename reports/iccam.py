"""The assessment in ICCAM's terms: each assessment field of a report and its value as ICCAM's
API v3 names and numbers it (the vocabularies SCARt's ICCAM v3 client uses). Exchange with a
partner hotline is this mapping, not a migration; docs/iccam.md is the same table for people.
"""

from reports.models import (
    AgeGroup,
    Commerciality,
    ContentType,
    Gender,
    LegalStatus,
    NotIllegalReason,
    PaymentMethod,
    SiteType,
)

# Report field -> ICCAM field.
FIELDS = {
    "legal_status": "classification",
    "content_type": "contentType",
    "site_type": "sourceUrlSiteType",
    "commerciality": "sourceUrlCommerciality",
    "payment_methods": "sourceUrlPaymentMethods",
    "age_group": "ageCategorization",
    "gender": "genderCategorization",
    "is_virtual": "virtualContentCategorization",
    "is_user_generated": "userGeneratedContentCategorization",
    "is_child_modeling": "childModelingCategorization",
}

CLASSIFICATION = {
    LegalStatus.BASELINE: 1,  # Baseline
    LegalStatus.NATIONAL: 2,  # National
    LegalStatus.NOT_ILLEGAL: 4,  # Ignore (not illegal)
}
CONTENT_TYPE = {
    ContentType.IMAGE: 0,
    ContentType.VIDEO: 1,
    ContentType.LINK: 2,
    ContentType.CONTAINER: 3,
    ContentType.OTHER: 4,
    ContentType.TEXT: 5,
}
SITE_TYPE = {
    SiteType.NOT_DETERMINED: 1,
    SiteType.WEBSITE: 2,
    SiteType.FILE_HOST: 3,
    SiteType.IMAGE_STORE: 4,
    SiteType.IMAGE_BOARD: 5,
    SiteType.FORUM: 6,
    SiteType.BANNER_SITE: 7,
    SiteType.LINK_SITE: 8,
    SiteType.SOCIAL_NETWORK: 9,
    SiteType.REDIRECTOR: 10,
    SiteType.WEB_ARCHIVE: 11,
    SiteType.SEARCH_PROVIDER: 18,
    SiteType.IMAGE_HOST: 20,
    SiteType.BLOG: 22,
    SiteType.WEB_PAGE: 23,
    SiteType.NOT_APPLICABLE: 24,
}
COMMERCIALITY = {
    Commerciality.NOT_DETERMINED: 1,
    Commerciality.COMMERCIAL: 2,
    Commerciality.NON_COMMERCIAL: 3,
}
PAYMENT_METHOD = {
    PaymentMethod.AMEX: 2,
    PaymentMethod.DINERS: 3,
    PaymentMethod.MASTERCARD: 4,
    PaymentMethod.PAYPAL: 5,
    PaymentMethod.VISA: 6,
    PaymentMethod.WESTERN_UNION: 7,
    PaymentMethod.OTHER: 8,
    PaymentMethod.NONE: 9,
    PaymentMethod.SMS: 10,
    PaymentMethod.EMAIL: 11,
    PaymentMethod.LIBERTY_RESERVE: 12,
    PaymentMethod.BITCOIN: 13,
}
PAYMENT_METHOD_NOT_DETERMINED = 1
AGE_GROUP = {
    AgeGroup.NOT_DETERMINED: 1,
    AgeGroup.INFANT: 2,
    AgeGroup.PREPUBESCENT: 3,
    AgeGroup.PUBESCENT: 4,
}
GENDER = {Gender.NOT_DETERMINED: 1, Gender.FEMALE: 2, Gender.MALE: 3, Gender.BOTH: 4}

# ICCAM's actions on a content item (actionType).
ACTION_REPORTED_TO_LEA = 1
ACTION_REPORTED_TO_ISP = 2
ACTION_CONTENT_REMOVED = 3
ACTION_CONTENT_UNAVAILABLE = 4
ACTION_MOVED = 5
ACTION_NOT_ILLEGAL = 7
# Not illegal is ICCAM's NotIllegal action with the reason as its text; content that was not
# found is its ContentUnavailable action instead (as SCARt sends it).
NOT_ILLEGAL_ACTION = {
    reason: (
        ACTION_CONTENT_UNAVAILABLE if reason == NotIllegalReason.NOT_FOUND else ACTION_NOT_ILLEGAL
    )
    for reason in NotIllegalReason
}

# Report field -> its value table (the flags are booleans, empty for not determined).
VALUES = {
    "legal_status": CLASSIFICATION,
    "content_type": CONTENT_TYPE,
    "site_type": SITE_TYPE,
    "commerciality": COMMERCIALITY,
    "payment_methods": PAYMENT_METHOD,
    "age_group": AGE_GROUP,
    "gender": GENDER,
}


def assessment_in_iccam_terms(report) -> dict:
    """A report's assessment as ICCAM's field names and numbers; a value not determined is
    ICCAM's "not determined" (or left out for the flags)."""
    iccam = {
        "classification": CLASSIFICATION.get(report.legal_status),
        "contentType": CONTENT_TYPE.get(report.content_type),
        "sourceUrlSiteType": SITE_TYPE.get(report.site_type, SITE_TYPE[SiteType.NOT_DETERMINED]),
        "sourceUrlCommerciality": COMMERCIALITY.get(
            report.commerciality, COMMERCIALITY[Commerciality.NOT_DETERMINED]
        ),
        "sourceUrlPaymentMethods": [PAYMENT_METHOD[m] for m in report.payment_methods]
        or [PAYMENT_METHOD_NOT_DETERMINED],
        "ageCategorization": AGE_GROUP.get(report.age_group, AGE_GROUP[AgeGroup.NOT_DETERMINED]),
        "genderCategorization": GENDER.get(report.gender, GENDER[Gender.NOT_DETERMINED]),
    }
    for field in ("is_virtual", "is_user_generated", "is_child_modeling"):
        value = getattr(report, field)
        if value is not None:
            iccam[FIELDS[field]] = int(value)
    return iccam
