"""The queue's bulk step: acknowledge or assign the ticked requests, each through the guarded
path; the roles allowed and refused, mixed selections, the cap, another practice's references
and a parallel double submit."""

import concurrent.futures

import pytest

from requests_app.models import AuditRecord, Request, RequestEvent, RequestState
from requests_app.roles import Role
from tests.factories import make_user
from tests.factories import queued_requests as make
from tests.live_http import Visitor

pytestmark = pytest.mark.django_db

BULK = "/staff/bulk/"


def tick(*items, **fields) -> dict:
    """The form as the queue sends it: each ticked request with the version it was shown with."""
    data = {"pick": [item.reference for item in items], **fields}
    for item in items:
        data[f"v-{item.reference}"] = str(item.version)
    return data


def state(item) -> str:
    return Request.objects.get(pk=item.pk).state


def events(item, action: str) -> int:
    return RequestEvent.objects.filter(request=item, action=action).count()


def texts(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def colleague(practice):
    user = make_user("collega@practice.example", Role.HANDLER, practice)
    user.first_name, user.last_name = "Karin", "Kok"
    user.save()
    return user


@pytest.fixture
def admin(practice):
    return make_user("beheer@practice.example", Role.PRACTICE_ADMIN, practice)


@pytest.fixture
def fg(practice):
    return make_user("fg@practice.example", Role.DPO, practice)


# --- Acknowledge ----------------------------------------------------------------------------
def test_a_handler_acknowledges_the_ticked_requests_each_with_its_history(
    client, practice, handler
):
    first, second, untouched = make(practice, 3)
    client.force_login(handler)
    response = client.post(BULK, tick(first, second, action="acknowledge"), follow=True)
    assert texts(response) == ["Van 2 verzoeken de ontvangst bevestigd."]
    for item in (first, second):
        assert state(item) == RequestState.IN_REVIEW
        assert events(item, "acknowledge") == 1
        # As on its own page: whoever takes a request on becomes its handler.
        assert Request.objects.get(pk=item.pk).assigned_to == handler
        assert AuditRecord.objects.filter(
            event_type="request.acknowledge", object_id=item.reference, user=handler
        ).exists()
    assert state(untouched) == RequestState.FORWARDED


def test_a_mixed_selection_says_per_request_why_it_was_left(client, practice, handler):
    ready = make(practice)[0]
    taken = make(practice, state=RequestState.IN_REVIEW)[0]
    closed = make(practice, state=RequestState.CLOSED)[0]
    early = make(practice, state=RequestState.RECEIVED)[0]
    complaint = make(practice, kind="complaint")[0]  # no complaints officer set up yet
    client.force_login(handler)
    response = client.post(
        BULK,
        tick(ready, taken, closed, early, complaint, action="acknowledge", state="all"),
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/staff/?state=all"
    assert texts(response) == [
        "Van 1 verzoek de ontvangst bevestigd.",
        f"Niet gewijzigd, ontvangst al bevestigd: {taken.reference}.",
        f"Niet gewijzigd, gesloten of ingetrokken: {closed.reference}.",
        f"Niet gewijzigd, nog niet doorgestuurd naar de praktijk: {early.reference}.",
        "Niet gewijzigd, de klachtgegevens van de praktijk zijn nog niet volledig: "
        f"{complaint.reference}.",
    ]
    assert state(ready) == RequestState.IN_REVIEW
    assert [state(i) for i in (taken, closed, early, complaint)] == [
        RequestState.IN_REVIEW,
        RequestState.CLOSED,
        RequestState.RECEIVED,
        RequestState.FORWARDED,
    ]
    assert sum(events(i, "acknowledge") for i in (taken, closed, early, complaint)) == 0


def test_a_request_changed_since_the_list_was_shown_is_left(client, practice, handler, colleague):
    item = make(practice)[0]
    shown = tick(item, action="acknowledge")
    Request.objects.filter(pk=item.pk).update(assigned_to=colleague, version=item.version + 1)
    client.force_login(handler)
    response = client.post(BULK, shown, follow=True)
    assert texts(response) == [
        f"Niet gewijzigd, intussen door iemand anders gewijzigd: {item.reference}."
    ]
    assert state(item) == RequestState.FORWARDED


def test_the_practice_admin_and_the_fg_cannot_acknowledge(client, practice, admin, fg):
    item = make(practice)[0]
    for user in (admin, fg):
        client.force_login(user)
        assert client.post(BULK, tick(item, action="acknowledge")).status_code == 403
    assert state(item) == RequestState.FORWARDED
    assert events(item, "acknowledge") == 0


# --- Assign ---------------------------------------------------------------------------------
def test_the_practice_admin_assigns_the_ticked_requests_to_a_handler(
    client, practice, admin, colleague
):
    first, second = make(practice, 2)
    client.force_login(admin)
    response = client.post(
        BULK, tick(first, second, action="assign", assignee=colleague.pk), follow=True
    )
    assert texts(response) == ["2 verzoeken toegewezen aan Karin Kok."]
    for item in (first, second):
        assert Request.objects.get(pk=item.pk).assigned_to == colleague
        assert events(item, "assign") == 1
        assert AuditRecord.objects.filter(
            event_type="request.assign", object_id=item.reference, user=admin
        ).exists()
        assert state(item) == RequestState.FORWARDED  # assigning is not acknowledging


def test_assigning_again_to_the_same_handler_writes_nothing(client, practice, handler, colleague):
    mine = make(practice, assigned_to=colleague)[0]
    closed = make(practice, state=RequestState.CLOSED)[0]
    other = make(practice)[0]
    client.force_login(handler)
    response = client.post(
        BULK, tick(mine, closed, other, action="assign", assignee=colleague.pk), follow=True
    )
    assert texts(response) == [
        "1 verzoek toegewezen aan Karin Kok.",
        f"Niet gewijzigd, al toegewezen aan deze behandelaar: {mine.reference}.",
        f"Niet gewijzigd, gesloten of ingetrokken: {closed.reference}.",
    ]
    assert events(mine, "assign") == 0 and events(closed, "assign") == 0


def test_only_handlers_of_the_practice_can_be_chosen(client, practice, handler, fg, other_handler):
    item = make(practice)[0]
    client.force_login(handler)
    for assignee in (fg, other_handler):  # the FG handles nothing; the other works elsewhere
        response = client.post(BULK, tick(item, action="assign", assignee=assignee.pk))
        assert response.status_code == 400
        assert "aria-invalid" in response.content.decode()
    response = client.post(BULK, tick(item, action="assign"))
    assert response.status_code == 400
    assert "Kies de behandelaar aan wie u de verzoeken toewijst." in response.content.decode()
    assert Request.objects.get(pk=item.pk).assigned_to is None


def test_the_fg_cannot_assign_and_sees_no_tick_boxes(client, practice, fg, handler):
    item = make(practice)[0]
    client.force_login(fg)
    assert client.post(BULK, tick(item, action="assign", assignee=handler.pk)).status_code == 403
    page = client.get("/staff/").content.decode()
    assert item.reference in page and 'name="pick"' not in page
    assert Request.objects.get(pk=item.pk).assigned_to is None


def test_the_admin_is_offered_only_assigning(client, practice, admin, handler):
    make(practice)
    client.force_login(admin)
    form = client.get("/staff/").context["bulk_form"]
    assert [value for value, _label in form.fields["action"].choices] == ["", "assign"]
    client.force_login(handler)
    form = client.get("/staff/").context["bulk_form"]
    assert [value for value, _label in form.fields["action"].choices] == [
        "",
        "acknowledge",
        "assign",
    ]


# --- Bad input ------------------------------------------------------------------------------
def test_nothing_ticked_or_no_step_shows_the_queue_again_with_the_ticks_kept(
    client, practice, handler
):
    item, other = make(practice, 2)
    client.force_login(handler)
    response = client.post(BULK, {"action": "acknowledge"})
    assert response.status_code == 400
    assert "Vink de verzoeken aan waarvoor de stap geldt." in response.content.decode()
    response = client.post(BULK, tick(item, action=""))
    assert response.status_code == 400
    page = response.content.decode()
    assert f'value="{item.reference}" checked' in page
    assert f'value="{other.reference}" checked' not in page
    assert state(item) == RequestState.FORWARDED


def test_a_bad_bulk_form_shows_the_queue_again_recorded(client, practice, handler):
    item = make(practice, patient_name="Jan Jansen")[0]
    client.force_login(handler)
    response = client.post(BULK, tick(item, action="", q="jansen"))
    assert response.status_code == 400 and "Jan Jansen" in response.content.decode()
    record = AuditRecord.objects.filter(event_type="queue.view").latest("seq")
    assert record.details["shown"] == [item.reference]
    assert record.details["filters"] == {"q": "jansen"}
    assert record.details["status"] == 400 and record.details["after"] == "staff:queue_bulk"


def test_more_than_a_hundred_requests_is_refused_whole(client, practice, handler):
    items = make(practice, 101)
    client.force_login(handler)
    response = client.post(BULK, tick(*items, action="acknowledge"))
    assert response.status_code == 400
    assert "ten hoogste 100" in response.content.decode()
    assert not Request.objects.filter(state=RequestState.IN_REVIEW).exists()
    # The same reference ticked twice counts once; a hundred is allowed.
    response = client.post(BULK, tick(*items[:100], items[0], action="acknowledge"))
    assert response.status_code == 302
    assert Request.objects.filter(state=RequestState.IN_REVIEW).count() == 100


def test_another_practices_reference_refuses_the_whole_step_and_names_nothing(
    client, practice, other_practice, handler
):
    mine = make(practice)[0]
    theirs = make(other_practice, patient_name="Geheim Elders")[0]
    client.force_login(handler)
    for step in ({"action": "acknowledge"}, {"action": "assign", "assignee": handler.pk}):
        response = client.post(BULK, tick(mine, theirs, **step))
        assert response.status_code == 404
        page = response.content.decode()
        assert theirs.reference not in page and "Geheim Elders" not in page
    assert state(mine) == state(theirs) == RequestState.FORWARDED
    assert Request.objects.get(pk=mine.pk).assigned_to is None
    denied = AuditRecord.objects.filter(outcome="denied", object_id=theirs.reference)
    assert denied.count() == 2


def test_made_up_and_look_alike_references_are_refused(client, practice, handler):
    item = make(practice)[0]
    look_alike = item.reference.replace("-", "\u2010")  # a Unicode hyphen
    client.force_login(handler)
    for reference in (look_alike, "AAAAA-AAAAA", "x" * 500):
        data = tick(item, action="acknowledge")
        data["pick"].append(reference)
        assert client.post(BULK, data).status_code == 404
    data = tick(item, action="acknowledge")
    for version in ("1; DROP", "\u00b2", "9" * 40):  # a superscript two is a digit too
        data[f"v-{item.reference}"] = version
        assert client.post(BULK, data).status_code == 400, version
    data = tick(item, action="acknowledge")
    data["pick"].append(item.reference + "\x00")
    assert client.post(BULK, data).status_code == 400  # never stored, never looked up
    assert client.get(BULK).status_code == 405
    assert state(item) == RequestState.FORWARDED


def test_processor_support_has_no_bulk_step(client, practice, support):
    item = make(practice)[0]
    client.force_login(support)
    assert client.post(BULK, tick(item, action="acknowledge")).status_code == 403


def test_a_handler_of_two_practices_acknowledges_in_both(client, practice, other_practice, handler):
    from requests_app.models import Membership

    Membership.objects.create(user=handler, role=Role.PRACTICE_ADMIN, practice=other_practice)
    here, there = make(practice)[0], make(other_practice)[0]
    client.force_login(handler)
    response = client.post(BULK, tick(here, there, action="acknowledge"), follow=True)
    # At the other practice the account only administers: it may not take requests on there.
    assert texts(response) == [
        "Van 1 verzoek de ontvangst bevestigd.",
        "Niet gewijzigd, uw rol bij de praktijk van dit verzoek staat deze stap niet toe: "
        f"{there.reference}.",
    ]
    assert state(here) == RequestState.IN_REVIEW and state(there) == RequestState.FORWARDED


# --- Twice at once --------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_a_parallel_double_submit_acknowledges_once(live_server, client, practice, handler):
    items = make(practice, 3)
    client.force_login(handler)
    client.get("/staff/")
    cookies = {name: client.cookies[name].value for name in ("sessionid", "csrftoken")}
    clicks = [Visitor(live_server.url, cookies) for _ in range(4)]
    data = tick(*items, action="acknowledge")
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda v: v.post(BULK, data), clicks))
    assert [a.status_code for a in answers] == [302] * 4
    for item in items:
        assert state(item) == RequestState.IN_REVIEW
        assert events(item, "acknowledge") == 1
        assert events(item, "assign") == 1  # taken on once, so made its handler once
        assert (
            AuditRecord.objects.filter(
                event_type="request.acknowledge", object_id=item.reference
            ).count()
            == 1
        )
