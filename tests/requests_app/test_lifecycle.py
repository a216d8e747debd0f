import pytest
from django.core.exceptions import PermissionDenied

from requests_app.errors import TransitionRefused
from requests_app.lifecycle import perform_transition
from requests_app.models import Request, RequestState
from tests.factories import make_practice, submit


@pytest.mark.django_db(transaction=True)
def test_acknowledge_by_a_handler_of_the_practice_moves_to_in_review(practice, handler, patient):
    item = submit(practice, patient)
    assert Request.objects.get(pk=item.pk).state == RequestState.FORWARDED
    done = perform_transition(item, "acknowledge", actor=handler, note="ik pak het op")
    assert done.state == RequestState.IN_REVIEW
    event = done.events.last()
    assert (event.actor, event.from_state, event.to_state, event.note) == (
        handler,
        RequestState.FORWARDED,
        RequestState.IN_REVIEW,
        "ik pak het op",
    )


@pytest.mark.django_db(transaction=True)
def test_acknowledge_by_another_practice_is_refused_and_changes_nothing(
    practice, other_handler, patient
):
    item = submit(practice, patient)
    events_before = item.events.count()
    with pytest.raises(PermissionDenied):
        perform_transition(item, "acknowledge", actor=other_handler)
    assert Request.objects.get(pk=item.pk).state == RequestState.FORWARDED
    assert item.events.count() == events_before


@pytest.mark.django_db(transaction=True)
def test_acknowledge_twice_is_refused(practice, handler, patient):
    item = submit(practice, patient)
    perform_transition(item, "acknowledge", actor=handler)
    with pytest.raises(TransitionRefused):
        perform_transition(item, "acknowledge", actor=handler)


@pytest.mark.django_db(transaction=True)
def test_no_person_can_mark_a_request_forwarded(practice, handler, support, patient):
    item = submit(practice, patient)
    Request.objects.filter(pk=item.pk).update(state=RequestState.RECEIVED)
    for person in (handler, support):
        with pytest.raises(PermissionDenied):
            perform_transition(item, "forward", actor=person)


@pytest.mark.django_db(transaction=True)
def test_support_routes_an_unrouted_request(support, patient):
    item = submit(None, patient, practice_given="Dokter Jansen, Zwolle")
    assert item.state == RequestState.UNROUTED
    target = make_practice("11112222")
    routed = perform_transition(item, "route", actor=support, practice=target)
    assert routed.practice == target and routed.state == RequestState.RECEIVED


@pytest.mark.django_db(transaction=True)
def test_practice_staff_cannot_route(handler, practice, patient):
    item = submit(None, patient, practice_given="?")
    with pytest.raises(PermissionDenied):
        perform_transition(item, "route", actor=handler, practice=practice)
    assert Request.objects.get(pk=item.pk).state == RequestState.UNROUTED


@pytest.mark.django_db(transaction=True)
def test_state_cannot_be_set_directly(practice, patient):
    item = submit(practice, patient)
    with pytest.raises(AttributeError):
        item.state = RequestState.IN_REVIEW
