"""Bulk steps called directly: each request through the guarded path, the reason for each one
left as it was."""

import pytest

from requests_app.models import Membership, Request, RequestEvent
from requests_app.roles import Role
from tests.factories import make_user
from tests.factories import queued_requests as make
from workflows.casework import bulk

pytestmark = pytest.mark.django_db


def ticked(*items, version=True):
    return [bulk.Ticked(item, item.version if version else None) for item in items]


def test_a_request_goes_only_to_a_handler_of_its_own_practice(
    practice, other_practice, handler, other_handler
):
    # An administrator of both practices assigns a list that holds requests of each.
    admin = make_user("beheer@beide.example", Role.PRACTICE_ADMIN, practice)
    Membership.objects.create(user=admin, role=Role.PRACTICE_ADMIN, practice=other_practice)
    here, there = make(practice)[0], make(other_practice)[0]
    outcomes = bulk.assign_many(ticked(here, there), actor=admin, assignee=handler)
    assert [(o.reference, o.done) for o in outcomes] == [
        (here.reference, True),
        (there.reference, False),
    ]
    assert outcomes[1].reason == str(bulk.NOT_A_HANDLER_THERE)
    assert Request.objects.get(pk=there.pk).assigned_to is None
    assert not RequestEvent.objects.filter(request=there).exists()


def test_without_a_version_the_step_is_judged_on_the_request_as_it_is(practice, handler):
    item = make(practice)[0]
    first = bulk.acknowledge_many(ticked(item, version=False), actor=handler)
    again = bulk.acknowledge_many(ticked(item, version=False), actor=handler)
    assert first[0].done and again[0].reason == str(bulk.ALREADY_ACKNOWLEDGED)
    assert RequestEvent.objects.filter(request=item, action="acknowledge").count() == 1


def test_the_fg_is_refused_per_request_and_nothing_changes(practice):
    fg = make_user("fg@practice.example", Role.DPO, practice)
    item = make(practice)[0]
    assert bulk.steps_allowed(fg) == []
    [outcome] = bulk.acknowledge_many(ticked(item), actor=fg)
    assert outcome.reason == str(bulk.NOT_YOUR_ROLE)
    [outcome] = bulk.assign_many(ticked(item), actor=fg, assignee=fg)
    assert outcome.reason == str(bulk.NOT_YOUR_ROLE)
    assert not RequestEvent.objects.filter(request=item).exists()
