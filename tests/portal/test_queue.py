"""The practice queue: filters, search, ordering, counts, and a constant number of queries."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from requests_app.models import Request, RequestState
from requests_app.references import new_reference

TODAY = timezone.localdate()


def make(practice, n=1, **fields) -> list[Request]:
    defaults = {
        "kind": "access",
        "patient_name": "Piet Pieters",
        "patient_email": "piet@example.com",
        "patient_birth_date": datetime.date(1970, 1, 1),
        "description": "-",
        "channel": "web",
        "state": RequestState.FORWARDED,
        "response_due": TODAY + datetime.timedelta(days=20),
    }
    defaults.update(fields)
    return Request.objects.bulk_create(
        [Request(practice=practice, reference=new_reference(), **defaults) for _ in range(n)]
    )


def refs(response) -> list[str]:
    return [item.reference for item in response.context["page"].object_list]


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
