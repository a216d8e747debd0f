"""The report pages and their CSV files: who may read which, bad filters, what a reader sees."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from requests_app.access import patient_username
from requests_app.models import AuditRecord
from requests_app.roles import Role
from tests.factories import make_user, queued_requests

pytestmark = pytest.mark.django_db

ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}


def received(practice, n, *, days_ago=3, **fields):
    moment = timezone.now() - datetime.timedelta(days=days_ago)
    return queued_requests(practice, n, received_at=moment, forwarded_at=moment, **fields)


@pytest.fixture
def numbers(practice, other_practice):
    """Practice A: 3 requests, one refused for identity, one overdue. Practice B: 7 erasures."""
    today = timezone.localdate()
    received(practice, 2)
    received(
        practice,
        1,
        kind="rectification",
        state="refused",
        decision="refused",
        legal_ground="identity",
        decided_at=timezone.now(),
    )
    queued_requests(practice, 1, response_due=today - datetime.timedelta(days=40),
                    received_at=timezone.now() - datetime.timedelta(days=400))  # fmt: skip
    received(other_practice, 7, kind="erasure")


def test_a_practice_reads_its_own_report_in_dutch(client, handler, numbers):
    client.force_login(handler)
    page = client.get("/staff/reports/").content.decode()
    assert "Rapportage:" in page and "Huisartsenpraktijk 01234567" in page
    assert "<svg" in page and "<desc" in page
    assert "De identiteit kon niet worden vastgesteld" in page
    assert "Verwijdering" not in page  # practice B's erasures


def test_the_figures_and_only_the_practices_own(client, handler, numbers):
    client.force_login(handler)
    response = client.get("/staff/reports/", **ENGLISH)
    report = response.context["report"]
    assert (report.received, report.open_now, report.overdue_now) == (3, 3, 1)
    assert [(k, n) for k, _label, n in report.kinds] == [("access", 2), ("rectification", 1)]
    page = response.content.decode()
    assert "Erasure" not in page and "Praktijk Elders" not in page
    assert AuditRecord.objects.filter(event_type="report.view", user=handler).exists()


@pytest.mark.parametrize("role", [Role.DPO, Role.PRACTICE_ADMIN])
def test_every_practice_role_reads_the_report(client, practice, numbers, role):
    client.force_login(make_user(f"{role}@practice.example", role, practice))
    assert client.get("/staff/reports/").status_code == 200


def test_the_processor_reads_every_practice_and_one_at_a_time(
    client, support, numbers, practice, other_practice
):
    client.force_login(support)
    response = client.get("/staff/reports/processor/", **ENGLISH)
    assert response.status_code == 200
    report = response.context["report"]
    assert report.received == 10
    assert [row.practice_id for row in report.practices] == [practice.pk, other_practice.pk]
    page = response.content.decode()
    assert "Praktijk Elders" in page and "Per practice" in page
    one = client.get(f"/staff/reports/processor/?practice={other_practice.pk}", **ENGLISH)
    assert one.context["report"].received == 7 and one.context["report"].practices is None


def test_refused_roles(client, handler, support, numbers):
    client.force_login(handler)
    assert client.get("/staff/reports/processor/").status_code == 403
    assert client.get("/staff/reports/processor/months.csv").status_code == 403
    client.force_login(support)
    assert client.get("/staff/reports/").status_code == 403
    email = "jan@example.com"
    patient = get_user_model().objects.create_user(username=patient_username(email), email=email)
    client.force_login(patient)
    assert client.get("/staff/reports/").status_code == 403
    assert client.get("/staff/reports/processor/").status_code == 403
    client.logout()
    assert client.get("/staff/reports/").status_code == 302


def test_another_practices_report_is_not_found(client, handler, other_practice):
    client.force_login(handler)
    url = f"/staff/reports/?practice={other_practice.pk}&first=2026-01&last=2026-03"
    assert client.get(url).status_code == 404
    assert client.get(url.replace("/?", "/months.csv?")).status_code == 404
    assert client.get("/staff/reports/?practice=99999999999999999999").status_code == 404


def test_an_absent_month_is_the_default(client, support):
    client.force_login(support)
    response = client.get("/staff/reports/processor/?practice=&first=&last=")
    assert response.status_code == 200 and len(response.context["report"].months) == 12
    huge = client.get("/staff/reports/processor/?practice=99999999999999999999")
    assert huge.status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        "first=2026-13&last=2026-03",
        "first=2026-04&last=2026-03",
        "first=2020-01&last=2026-03",
        "first=1999-12&last=2000-01",
        "first=2026-01%00&last=2026-03",
        "first=２０２６-01&last=2026-03",
        "practice=abc&first=2026-01&last=2026-03",
        "practice=1x&first=2026-01&last=2026-03",
    ],
)
def test_bad_filters_are_a_400_with_a_message(client, handler, support, query):
    client.force_login(handler)
    response = client.get(f"/staff/reports/?{query}", **ENGLISH)
    assert response.status_code == 400, query
    client.force_login(support)
    assert client.get(f"/staff/reports/processor/months.csv?{query}").status_code == 400


def test_a_bad_filter_says_what_is_wrong(client, handler):
    client.force_login(handler)
    page = client.get("/staff/reports/?first=2026-04&last=2026-03", **ENGLISH).content.decode()
    assert "The last month cannot come before the first." in page
    page = client.get("/staff/reports/?first=2020-01&last=2026-03", **ENGLISH).content.decode()
    assert "A report covers at most 36 months." in page


def test_the_csv_files(client, handler, support, numbers, practice):
    client.force_login(handler)
    response = client.get("/staff/reports/grounds.csv", **ENGLISH)
    assert response["Content-Type"].startswith("text/csv")
    assert f'filename="report-{practice.agb_code}-' in response["Content-Disposition"]
    lines = response.content.decode().splitlines()
    assert lines[0] == "Legal ground,Refused,Partially granted,Total"
    assert lines[1].endswith(",1,0,1") and "12(6)" in lines[1]
    summary = client.get("/staff/reports/summary.csv", **ENGLISH).content.decode()
    assert "Requests received,3" in summary and "Overdue now,1" in summary
    dutch = client.get("/staff/reports/summary.csv").content.decode()
    assert "Ontvangen verzoeken,3" in dutch
    assert client.get("/staff/reports/nonsense.csv").status_code == 404
    assert client.get("/staff/reports/practices.csv").status_code == 404
    client.force_login(support)
    rows = client.get("/staff/reports/processor/practices.csv", **ENGLISH).content.decode()
    assert "Praktijk Elders,07654321,7," in rows


def test_no_data_yet(client, handler):
    client.force_login(handler)
    response = client.get("/staff/reports/", **ENGLISH)
    page = response.content.decode()
    assert response.status_code == 200
    assert "No requests were received in these months yet." in page
    assert "No assistance was asked for in these months." in page and "NaN" not in page
    assert "<svg" not in page  # no chart of nothing but zeros
    for table in ("summary", "months", "durations", "tasks", "grounds", "in_term", "kinds"):
        assert client.get(f"/staff/reports/{table}.csv").status_code == 200


def test_the_navigation_links_to_the_reports(client, handler, support):
    client.force_login(handler)
    assert 'href="/staff/reports/"' in client.get("/staff/").content.decode()
    client.force_login(support)
    assert 'href="/staff/reports/processor/"' in client.get("/staff/tasks/").content.decode()


def test_a_time_taken_reads_in_the_unit_a_reader_thinks_in():
    from django.utils import translation

    from portal.templatetags.report_tags import took

    D = datetime.timedelta
    with translation.override("nl"):
        assert took(None) == "–"
        assert took(D(seconds=45)) == "45 s"
        assert took(D(minutes=12, seconds=20)) == "12 min"
        assert took(D(hours=5, minutes=30)) == "5,5 uur"
        assert took(D(days=12, hours=8)) == "12,3 dagen"
    with translation.override("en"):
        assert took(D(days=2)) == "2.0 days"
