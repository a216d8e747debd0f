"""The practice queue: filters, search, ordering, counts, and a constant number of queries."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from requests_app.models import Request, RequestState
from tests.factories import queue_refs as refs
from tests.factories import queued_requests as make

TODAY = timezone.localdate()


@pytest.fixture
def queue(client, handler):
    client.force_login(handler)
    return lambda **params: client.get("/staff/", params)


@pytest.mark.django_db
def test_most_urgent_first_by_default(queue, practice):
    late = make(practice, response_due=TODAY + datetime.timedelta(days=25))[0]
    urgent = make(practice, response_due=TODAY + datetime.timedelta(days=2))[0]
    assert refs(queue()) == [urgent.reference, late.reference]
    assert refs(queue(order="-due")) == [late.reference, urgent.reference]


@pytest.mark.django_db
def test_overdue_and_due_this_week_filters(queue, practice):
    overdue = make(practice, response_due=TODAY - datetime.timedelta(days=1))[0]
    this_week = make(practice, response_due=TODAY + datetime.timedelta(days=7))[0]
    make(practice, response_due=TODAY + datetime.timedelta(days=8))
    make(practice, response_due=TODAY - datetime.timedelta(days=3), state=RequestState.CLOSED)
    assert refs(queue(due="overdue")) == [overdue.reference]
    assert refs(queue(due="week")) == [this_week.reference]
    page = queue(due="overdue").content.decode()
    assert "1 dag te laat" in page


@pytest.mark.django_db
def test_state_kind_and_assignment_filters(queue, practice, handler):
    mine = make(practice, assigned_to=handler, kind="erasure")[0]
    nobody = make(practice, state=RequestState.IN_REVIEW)[0]
    closed = make(practice, state=RequestState.CLOSED)[0]
    assert set(refs(queue())) == {mine.reference, nobody.reference}  # open ones by default
    assert refs(queue(assigned="me")) == [mine.reference]
    assert refs(queue(assigned="nobody")) == [nobody.reference]
    assert refs(queue(kind="erasure")) == [mine.reference]
    assert refs(queue(state="in_review")) == [nobody.reference]
    assert refs(queue(state="closed")) == [closed.reference]
    assert len(refs(queue(state="all"))) == 3


@pytest.mark.django_db
def test_search_by_reference_or_patient_name(queue, practice):
    anna = make(practice, patient_name="Anna de Wit")[0]
    make(practice, patient_name="Bert Zwart")
    assert refs(queue(q="de wit")) == [anna.reference]
    assert refs(queue(q=anna.reference.lower().replace("-", ""))) == [anna.reference]


def with_reference(practice, reference: str, **fields) -> Request:
    item = make(practice, **fields)[0]
    Request.objects.filter(pk=item.pk).update(reference=reference)
    return Request.objects.get(pk=item.pk)


@pytest.mark.django_db
def test_search_finds_a_reference_by_either_block_or_its_start(queue, practice, other_practice):
    wanted = with_reference(practice, "S5ZVV-K7MNP")
    near = with_reference(practice, "S5ZVW-K7MNQ")  # the same starts, other blocks
    with_reference(other_practice, "S5ZVV-A2B3C")  # another practice's: never found
    for typed in ("S5ZVV", "s5zvv", "S5ZVV-", "K7MNP", "k7mnp", "S5ZVV-K7", "s5zvvk7mnp"):
        assert refs(queue(q=typed)) == [wanted.reference], typed
    assert sorted(refs(queue(q="s5z"))) == sorted([wanted.reference, near.reference])
    assert sorted(refs(queue(q="K7MN"))) == sorted([wanted.reference, near.reference])


@pytest.mark.django_db
def test_search_by_e_mail_birth_date_or_patient_number(queue, practice, other_practice):
    jan = make(
        practice,
        patient_email="jan.jansen@example.com",
        patient_birth_date=datetime.date(1980, 5, 17),
        patient_number="P-00417",
    )[0]
    make(practice, patient_email="jan@example.com", patient_birth_date=datetime.date(1981, 5, 17))
    make(
        other_practice,
        patient_email="jan.jansen@example.com",
        patient_birth_date=datetime.date(1980, 5, 17),
        patient_number="P-00417",
    )
    for typed in (
        "Jan.Jansen@EXAMPLE.com",
        " jan.jansen@example.com ",
        "17-05-1980",
        "17/5/1980",
        "1980-05-17",
        "P-00417",
    ):
        assert refs(queue(q=typed)) == [jan.reference], typed
    # An e-mail address is matched whole, never a part of it.
    assert refs(queue(q="jansen@example.com")) == []
    assert refs(queue(q="31-02-1980")) == []  # no such date: nothing, and no error


@pytest.mark.django_db
def test_an_e_mail_search_is_an_index_lookup_within_the_practice(handler, practice):
    for i in range(40):  # enough patients that the planner has a choice to make
        make(practice, 10, patient_email=f"patient{i}@example.com")
    from requests_app.selectors import filtered_queue

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE requests_app_request")

    queryset = filtered_queue(handler, search="Patient7@example.com", state="all")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = queryset.explain()
    conditions = [line for line in plan.splitlines() if "Index Cond" in line]
    assert any("patient_email" in line and "practice_id" in line for line in conditions), plan


@pytest.mark.django_db
def test_counts_per_state_and_other_practices_invisible(queue, practice, other_practice):
    make(practice, 3)
    make(practice, 2, state=RequestState.IN_REVIEW)
    make(other_practice, 4)
    response = queue(state="all")
    counts = {value: n for value, _label, n in response.context["states"]}
    assert counts[RequestState.FORWARDED] == 3 and counts[RequestState.IN_REVIEW] == 2
    assert response.context["page"].paginator.count == 5


@pytest.mark.django_db
def test_queries_do_not_grow_with_the_number_of_rows(queue, practice, handler):
    make(practice, 3, assigned_to=handler)
    with CaptureQueriesContext(connection) as few:
        queue()
    make(practice, 45, assigned_to=handler)
    with CaptureQueriesContext(connection) as many:
        assert len(refs(queue())) == 48
    assert len(many) == len(few)


@pytest.mark.django_db
def test_pages_keep_the_filters(queue, practice):
    make(practice, 60, kind="erasure")
    page = queue(kind="erasure").content.decode()
    assert "kind=erasure&amp;page=2" in page
