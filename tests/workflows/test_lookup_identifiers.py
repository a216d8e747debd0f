"""Identifiers support used in a look-up are recorded on the task, confirmed by the practice,
and then used by the export and the erasure; unrecorded, the data under them stay untouched."""

import pytest
from django.core.exceptions import PermissionDenied

from demo import platform as demo
from requests_app.errors import TransitionRefused
from requests_app.models import AuditRecord, ExtraIdentifier
from tests.factories import decided
from tests.workflows.helpers import started
from workflows.assistance import erasure, identifiers, lookup, packages
from workflows.assistance import tasks as assistance
from workflows.assistance.connectors import Identifiers
from workflows.assistance.connectors.platform import PlatformConnector
from workflows.assistance.tasks import IdentifiersUnconfirmed

pytestmark = pytest.mark.django_db
SECOND = "jan.werk@example.com"


@pytest.fixture
def second_address(in_platform, practice, patient):
    """The same patient registered a second time in the app, under a work address."""
    demo.add_patient(
        in_platform,
        practice_agb=practice.agb_code,
        email=SECOND,
        birth_date=patient.birth_date,
        messages=7,
    )
    return SECOND


def held_under(practice, email) -> dict:
    found = PlatformConnector().find(Identifiers(practice.agb_code, email=email))
    return {f.category: f.count for f in found}


def looked_up_and_recorded(task, support, *, email=SECOND):
    lookup.look_up(task, actor=support, identifiers=Identifiers("", email=email))
    return identifiers.record_identifier(
        task, actor=support, kind="email", value=email, why="Zelfde naam en geboortedatum"
    )


def test_recorded_and_confirmed_address_is_in_the_package(
    second_address, supply_task, support, handler, practice
):
    before = packages.build_package(supply_task, actor=support)
    assert before.counts["platform"]["conversations"] == 40  # the request's own only
    extra = looked_up_and_recorded(supply_task, support)
    assert extra.state == "proposed"
    with pytest.raises(IdentifiersUnconfirmed):  # the practice decides first
        packages.build_package(supply_task, actor=support)
    identifiers.confirm(extra, actor=handler)
    package = packages.build_package(supply_task, actor=support)
    assert package.counts["platform"]["conversations"] == 47
    assert package.counts["platform"]["email"] == 2
    assert held_under(practice, "piet@example.com")["conversations"] == 5  # nobody else's


def test_recorded_and_confirmed_address_is_erased_unrecorded_it_is_not(
    second_address, practice, patient, handler, support
):
    item = decided(practice, patient, handler, kind="erasure")
    plain = started(item, handler, support, "erase")
    erasure.run_erasure(plain, actor=support)
    assert held_under(practice, patient.email) == {}
    assert held_under(practice, SECOND)["conversations"] == 7  # not recorded: untouched

    extra = looked_up_and_recorded(plain, support)
    with pytest.raises(IdentifiersUnconfirmed):
        erasure.run_erasure(plain, actor=support)
    identifiers.confirm(extra, actor=handler)
    runs = erasure.run_erasure(plain, actor=support)
    assert sum(r.removed for r in runs if r.category == "conversations") == 7
    assert held_under(practice, SECOND) == {}
    assert held_under(practice, "piet@example.com")["conversations"] == 5
    for step in plain.manual_steps.all():
        assistance.tick_manual_step(step, actor=support, note="Niets")
    certificate = erasure.issue_certificate(plain, actor=support)
    (listed,) = certificate.manifest["extra_identifiers"]
    assert listed["kind"] == "email" and listed["confirmed_by"] == handler.email
    assert SECOND not in str(certificate.manifest)


def test_a_declined_address_is_neither_exported_nor_erased(
    second_address, practice, patient, handler, support
):
    item = decided(practice, patient, handler, kind="erasure")
    task = started(item, handler, support, "erase")
    extra = looked_up_and_recorded(task, support)
    with pytest.raises(identifiers.IdentifierRefused):
        identifiers.decline(extra, actor=handler, reason=" ")
    identifiers.decline(extra, actor=handler, reason="Dit is haar zus, niet de patiënt.")
    erasure.run_erasure(task, actor=support)
    assert held_under(practice, SECOND)["conversations"] == 7
    actions = list(task.events.values_list("action", flat=True))
    assert "identifier_added" in actions and "identifier_decline" in actions
    assert AuditRecord.objects.filter(event_type="identifier.decline").exists()


def test_only_an_address_used_in_a_look_up_in_its_canonical_form(
    second_address, supply_task, support, handler
):
    with pytest.raises(identifiers.IdentifierRefused):  # never looked up
        identifiers.record_identifier(
            supply_task, actor=support, kind="email", value=SECOND, why="Gezien"
        )
    lookup.look_up(supply_task, actor=support, identifiers=Identifiers("", email=SECOND))
    with pytest.raises(identifiers.IdentifierRefused):  # a look-alike: dotless i
        identifiers.record_identifier(
            supply_task, actor=support, kind="email", value="jan.werk@exampıe.com", why="x"
        )
    with pytest.raises(identifiers.IdentifierRefused):  # the request's own address
        identifiers.record_identifier(
            supply_task, actor=support, kind="email", value="JAN@example.com", why="x"
        )
    extra = identifiers.record_identifier(
        supply_task, actor=support, kind="email", value=" Jan.Werk@EXAMPLE.com", why="Gezien"
    )
    assert extra.value == SECOND
    with pytest.raises(identifiers.IdentifierRefused):  # once per task
        identifiers.record_identifier(
            supply_task, actor=support, kind="email", value=SECOND.upper(), why="Gezien"
        )
    with pytest.raises(PermissionDenied):
        identifiers.record_identifier(
            supply_task, actor=handler, kind="email", value=SECOND, why="Gezien"
        )
    with pytest.raises(PermissionDenied):
        identifiers.confirm(extra, actor=support)
    record = AuditRecord.objects.get(event_type="task.identifier_add")
    assert SECOND not in str(record.details)


def test_a_mobile_number_is_stored_in_e164(in_platform, supply_task, support):
    lookup.look_up(supply_task, actor=support, identifiers=Identifiers("", mobile="+31611112222"))
    extra = identifiers.record_identifier(
        supply_task, actor=support, kind="mobile", value="06 1111 2222", why="Oud nummer"
    )
    assert extra.value == "+31611112222"
    assert ExtraIdentifier.objects.filter(task=supply_task).count() == 1


def test_confirmation_only_while_the_task_is_open(second_address, supply_task, support, handler):
    extra = looked_up_and_recorded(supply_task, support)
    type(supply_task).objects.filter(pk=supply_task.pk).update(state="rejected")
    with pytest.raises(TransitionRefused):
        identifiers.confirm(extra, actor=handler)
