"""The provider API: another provider's notice: exactly as if it did not exist."""

import re
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from hotline.throttling import ProviderThrottle
from reports import workflow
from reports.models import Notice
from tests.reports.provider_api.support import (
    ENDPOINTS,
    NOT_FOUND,
    T0,
    answer,
    call,
    missing_id,
    rows,
)

pytestmark = pytest.mark.django_db


# --- another provider's notice: exactly as if it did not exist --------------------------------


BODIES = {
    "valid": {"removed": {"removed_at": T0.isoformat()}, "dispute": {"reason": "Not ours."}},
    "invalid": {"removed": {"removed_at": "soon"}, "dispute": {"reason": ""}},
}

CROSS_CASES = [
    pytest.param(endpoint, body, id=f"{endpoint}-{body}")
    for endpoint in ENDPOINTS
    for body in BODIES
    if endpoint in BODIES[body] or body == "valid"
]


@pytest.mark.parametrize(("endpoint", "body"), CROSS_CASES)
@pytest.mark.parametrize("state", ["open", "overdue", "removed", "withdrawn", "acknowledged"])
def test_another_providers_notice_is_a_404_exactly_like_a_missing_one(world, state, endpoint, body):
    notice = {
        "open": lambda: world.notice(world.alpha),
        "overdue": lambda: world.overdue(world.alpha),
        "removed": lambda: world.removed_by_analyst(world.alpha),
        "withdrawn": lambda: world.withdrawn(world.alpha),
        "acknowledged": lambda: world.notice(world.alpha),
    }[state]()
    if state == "acknowledged":
        assert call(world.client("alpha"), "acknowledge", notice.pk).status_code == 200
    world.notice(world.beta)  # beta has notices of its own
    payload = BODIES[body].get(endpoint)
    before = rows()

    theirs = call(world.client("beta"), endpoint, notice.pk, payload)
    missing = call(world.client("beta"), endpoint, missing_id(), payload)

    assert theirs.status_code == 404
    assert NOT_FOUND in theirs.json()["detail"]
    assert answer(theirs) == answer(missing)
    assert rows() == before
    # ... and the owner still sees it.
    assert call(world.client("alpha"), "detail", notice.pk).status_code == 200


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_a_scheduled_notice_is_a_404_like_a_missing_one_even_for_its_provider(world, endpoint):
    notice = world.scheduled(world.alpha)
    before = rows()
    for who in ("alpha", "beta"):
        own = call(world.client(who), endpoint, notice.pk, BODIES["valid"].get(endpoint))
        missing = call(world.client(who), endpoint, missing_id(), BODIES["valid"].get(endpoint))
        assert answer(own) == answer(missing)
        assert own.status_code == 404
    assert rows() == before


ROUTE_SEGMENT = re.compile(r"[^/.]+")  # what the router passes to the view as the id
ID_TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="/"), max_size=40
)


@pytest.fixture
def crowded_world(world, monkeypatch):
    """Both providers with notices in every visible state, and one scheduled."""
    monkeypatch.setitem(ProviderThrottle.THROTTLE_RATES, "provider", "1000000/min")
    for provider in (world.alpha, world.beta):
        world.notice(provider)
        world.overdue(provider)
        world.removed_by_analyst(provider)
        world.withdrawn(provider)
        world.scheduled(provider)
    return world


@hypothesis_settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_id_that_is_not_your_own_is_a_404(crowded_world, data):
    world = crowded_world
    visible = dict(
        Notice.objects.filter(status__in=workflow.PROVIDER_VISIBLE).values_list("pk", "provider")
    )
    all_ids = list(Notice.objects.values_list("pk", flat=True))
    who = data.draw(st.sampled_from(["alpha", "beta"]), label="caller")
    own = {pk for pk, provider in visible.items() if provider == getattr(world, who).pk}
    segment = data.draw(
        st.one_of(
            st.sampled_from(all_ids).map(str),
            st.sampled_from(all_ids).map(lambda pk: f"{pk:+d}"),  # "+5": not how ids are spelt
            st.sampled_from(all_ids).map(lambda pk: f" {pk}"),
            st.integers(),
            st.integers(min_value=-(2**80), max_value=2**80),
            st.integers(min_value=2**63 - 3, max_value=2**63 + 3),
            ID_TEXT,
        ).map(str),
        label="id",
    )
    endpoint = data.draw(st.sampled_from(list(ENDPOINTS)), label="endpoint")
    is_own = re.fullmatch(r"[0-9]+", segment) is not None and int(segment) in own
    if is_own:
        return  # the caller's own notice: answered above, and the actions would change it
    before = rows()

    response = call(world.client(who), endpoint, quote(segment, safe=""))

    assert response.status_code == 404, (response.status_code, response.content[:300])
    if ROUTE_SEGMENT.fullmatch(segment):  # the view answered, not the URL router
        assert answer(response) == answer(call(world.client(who), endpoint, missing_id()))
    assert rows() == before
