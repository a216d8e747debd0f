"""The practice's request page as a handler works with it: only steps that can succeed are
offered, a refused step says why and keeps what was typed, choices are explicit, taking a request
on makes you its handler, people are named, and the package is released from here."""

import re

import pytest
from django.template.defaultfilters import date as format_date
from django.utils import timezone, translation

from portal.forms.staff import ComplaintDecisionForm
from requests_app.legal import LegalGround
from requests_app.models import DataPackage, Request, RequestState
from requests_app.roles import Role
from tests.factories import forwarded, granted, make_user, submit
from workflows.casework import actions as casework

pytestmark = pytest.mark.django_db(transaction=True)

IDENTITY_FIRST = "Controleer eerst de identiteit"


@pytest.fixture
def named_handler(handler):
    handler.first_name, handler.last_name = "Anna", "de Vries"
    handler.save()
    return handler


@pytest.fixture
def taken_on(practice, patient, named_handler, providers):
    """Acknowledged, the identity not yet verified."""
    item = forwarded(submit(practice, patient))
    return casework.act(item, "acknowledge", actor=named_handler, version=item.version)


def page_of(client, item) -> str:
    return client.get(f"/staff/requests/{item.reference}/").content.decode()


def refuse_form(page: str) -> str:
    return page.split('/act/refuse/" novalidate>')[1].split("</form>")[0]


def test_before_the_identity_is_verified_only_its_refusal_is_offered(
    client, named_handler, taken_on
):
    client.force_login(named_handler)
    page = page_of(client, taken_on)
    assert "/act/grant/" not in page and "/act/grant_partially/" not in page
    options = re.findall(r'<option value="([^"]*)"', refuse_form(page))
    assert options == ["", LegalGround.IDENTITY]
    response = client.post(
        f"/staff/requests/{taken_on.reference}/act/refuse/",
        {
            "refuse-version": taken_on.version,
            "refuse-reason": "Geen geldig identiteitsbewijs getoond.",
            "refuse-legal_ground": LegalGround.IDENTITY,
        },
    )
    assert response.status_code == 302
    assert Request.objects.get(pk=taken_on.pk).state == RequestState.REFUSED
    decision = page_of(client, taken_on).split('id="h-decision"')[1]
    assert "Geen geldig identiteitsbewijs getoond." in decision


def test_refusing_on_another_ground_first_says_verify_and_keeps_the_reasons(
    client, named_handler, taken_on
):
    client.force_login(named_handler)
    reasons = "Het dossier bevat gegevens van de broer van de patiënt."
    response = client.post(
        f"/staff/requests/{taken_on.reference}/act/refuse/",
        {
            "refuse-version": taken_on.version,
            "refuse-reason": reasons,
            "refuse-legal_ground": LegalGround.RIGHTS_OF_OTHERS,
        },
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert IDENTITY_FIRST in page and "reden en rechtsgrond" not in page
    assert reasons in refuse_form(page)
    assert Request.objects.get(pk=taken_on.pk).state == RequestState.IN_REVIEW


def test_the_domain_names_the_missing_identity_check(named_handler, taken_on):
    from requests_app.models.request import IdentityNotVerified

    with pytest.raises(IdentityNotVerified) as refused:
        casework.act(
            taken_on,
            "refuse",
            actor=named_handler,
            version=taken_on.version,
            reason="Anderen.",
            legal_ground=LegalGround.RIGHTS_OF_OTHERS,
        )
    assert IDENTITY_FIRST in refused.value.explain()


def test_a_step_refused_after_someone_else_acted_keeps_the_text_and_can_be_sent_again(
    client, named_handler, taken_on
):
    shown = taken_on.version
    casework.act(  # a colleague extends the deadline meanwhile: the version moves on
        taken_on, "extend", actor=named_handler, version=shown, reason="Veel gegevens."
    )
    client.force_login(named_handler)
    typed = {
        "refuse-version": shown,
        "refuse-reason": "Identiteit niet aangetoond na twee verzoeken.",
        "refuse-legal_ground": LegalGround.IDENTITY,
    }
    url = f"/staff/requests/{taken_on.reference}/act/refuse/"
    response = client.post(url, typed)
    page = response.content.decode()
    assert response.status_code == 409
    assert "Iemand anders heeft dit verzoek intussen gewijzigd" in page
    assert typed["refuse-reason"] in refuse_form(page)
    now = Request.objects.get(pk=taken_on.pk)
    assert now.state == RequestState.IN_REVIEW
    assert f'name="refuse-version" value="{now.version}"' in page
    assert client.post(url, typed | {"refuse-version": now.version}).status_code == 302


def test_a_step_no_longer_offered_shows_what_was_typed(client, named_handler, taken_on):
    shown = taken_on.version
    casework.act(  # a colleague verified the identity meanwhile: that step is gone
        taken_on, "verify_identity", actor=named_handler, version=shown, how="Paspoort"
    )
    client.force_login(named_handler)
    response = client.post(
        f"/staff/requests/{taken_on.reference}/act/verify_identity/",
        {"verify_identity-version": shown, "verify_identity-how": "Rijbewijs aan de balie"},
    )
    page = response.content.decode()
    assert response.status_code == 409
    assert 'action="/staff/requests/' + taken_on.reference + '/act/verify_identity/"' not in page
    assert f'name="next" type="hidden" value="/staff/requests/{taken_on.reference}/"' in page
    assert "Niet opgeslagen" in page and "Rijbewijs aan de balie" in page
    assert Request.objects.get(pk=taken_on.pk).identity_method == "Paspoort"


def test_the_legal_ground_starts_empty_and_must_be_chosen(client, named_handler, taken_on):
    client.force_login(named_handler)
    form = refuse_form(page_of(client, taken_on))
    assert re.search(r'<option value="" selected>— kies —</option>', form)
    response = client.post(
        f"/staff/requests/{taken_on.reference}/act/refuse/",
        {"refuse-version": taken_on.version, "refuse-reason": "Niet vast te stellen."},
    )
    assert response.status_code == 400
    assert "Kies de wettelijke grond." in response.content.decode()
    assert "Niet vast te stellen." in response.content.decode()


def test_the_verdict_starts_empty_and_must_be_chosen():
    with translation.override("en"):
        form = ComplaintDecisionForm({"version": 1, "reason": "Gesprek gevoerd."})
        assert list(form.fields["verdict"].choices)[0] == ("", "— choose —")
        assert not form.is_valid() and form.errors["verdict"] == ["Choose the verdict."]
    chosen = ComplaintDecisionForm({"version": 1, "reason": "Gesprek.", "verdict": "founded"})
    assert chosen.is_valid()


def test_acknowledging_makes_you_the_handler_when_nobody_is(
    client, practice, patient, named_handler, providers
):
    item = forwarded(submit(practice, patient))
    client.force_login(named_handler)
    client.post(
        f"/staff/requests/{item.reference}/act/acknowledge/", {"acknowledge-version": item.version}
    )
    item = Request.objects.get(pk=item.pk)
    assert item.assigned_to == named_handler
    assign = item.events.get(action="assign")
    assert assign.actor == named_handler and assign.note == "Anna de Vries"
    history = page_of(client, item).split('class="timeline"')[1]
    assert "Behandelaar toegewezen</strong> – Anna de Vries: Anna de Vries" in history


def test_acknowledging_leaves_an_assigned_handler_in_place(
    client, practice, patient, named_handler, providers
):
    colleague = make_user("collega@practice.example", Role.HANDLER, practice)
    item = forwarded(submit(practice, patient))
    item = casework.assign(item, actor=colleague, version=item.version, assignee=colleague)
    client.force_login(named_handler)
    client.post(
        f"/staff/requests/{item.reference}/act/acknowledge/", {"acknowledge-version": item.version}
    )
    item = Request.objects.get(pk=item.pk)
    assert item.state == RequestState.IN_REVIEW and item.assigned_to == colleague
    assert item.events.filter(action="assign").count() == 1


def test_history_names_people_and_shows_an_arrow_only_for_a_change(
    client, practice, patient, named_handler, providers
):
    nameless = make_user("zonder.naam@practice.example", Role.HANDLER, practice)
    item = forwarded(submit(practice, patient))
    item = casework.act(item, "acknowledge", actor=nameless, version=item.version)
    item = casework.act(
        item, "verify_identity", actor=named_handler, version=item.version, how="ID"
    )
    casework.write_to_patient(item, actor=named_handler, body="Wij zoeken het uit.")
    item = granted(Request.objects.get(pk=item.pk), named_handler)
    client.force_login(named_handler)
    page = page_of(client, item)
    history = page.split('class="timeline"')[1]
    conversation = page.split('class="messages-list"')[1].split("</ol>")[0]
    # (the forwarding row keeps the address the practice was notified at: a record, not a name)
    assert "handler@" not in history + conversation and "zonder.naam@" not in history
    assert "– praktijkmedewerker" in history and "– Anna de Vries" in history
    assert "Anna de Vries, <time" in page  # the message's author
    arrows = re.findall(r"<strong>(?:[^<:]*: )?([^<→]+) → ([^<]+)</strong>", history)
    assert arrows and all(before.strip() != after.strip() for before, after in arrows)
    assert "Behandelaar toegewezen</strong>" in history  # no arrow without a change
    assert "Ingewilligd" in page and ">Toegewezen<" not in page


def test_dates_on_the_page_share_one_format(client, named_handler, taken_on):
    client.force_login(named_handler)
    page = page_of(client, taken_on)
    with translation.override("nl"):
        received = format_date(timezone.localtime(taken_on.received_at), "j F Y, H:i")
    assert received in page
    short_month = r"\b\d{1,2} (jan|feb|mrt|apr|jun|jul|aug|sep|okt|nov|dec)\.? \d{4}"
    assert not re.search(short_month, page)
    assert not re.search(r"\d{2}:\d{2}:\d{2}<", page)


@pytest.fixture
def accepted_package(platform_db, package_dir, practice, patient, named_handler, support):
    """A package support built and delivered and the practice accepted; not yet granted."""
    from demo import platform as demo
    from tests.factories import decided
    from workflows.assistance import packages
    from workflows.assistance import tasks as assistance

    demo.add_patient(platform_db, practice_agb=practice.agb_code, email=patient.email)
    item = decided(practice, patient, named_handler, kind="access", grant=False)
    task = assistance.start(
        assistance.request_assistance(item, actor=named_handler, kind="supply", instruction="X"),
        actor=support,
    )
    package = packages.build_package(task, actor=support)
    for step in task.manual_steps.all():
        assistance.tick_manual_step(step, actor=support, note="Niets")
    task = assistance.deliver(task, actor=support)
    packages.record_download(package, user=named_handler, who="practice")
    assistance.accept(task, actor=named_handler)
    return package


def test_the_package_is_released_from_the_request_page(
    client, named_handler, accepted_package, providers, django_capture_on_commit_callbacks
):
    item = accepted_package.task.request
    release = f"/staff/tasks/{accepted_package.task.pk}/package/release/"
    client.force_login(named_handler)
    page = page_of(client, item)
    assert f'action="{release}"' not in page and "ingewilligd" in page  # why not yet
    granted(item, named_handler)
    page = page_of(client, item)
    assert f'action="{release}"' in page and 'name="from" value="request"' in page
    confirm = client.get(release, {"from": "request"}).content.decode()
    assert f'href="/staff/requests/{item.reference}/#h-package"' in confirm
    assert f'action="{release}?from=request"' in confirm
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{release}?from=request", {"confirm": "on"})
    assert response["Location"] == f"/staff/requests/{item.reference}/#h-package"
    assert DataPackage.objects.get(pk=accepted_package.pk).released_at is not None
