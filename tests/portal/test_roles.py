"""Least privilege between practice roles: the handler handles, the FG supervises (reads,
audits, receives incidents), the practice admin assigns. Each is refused the rest."""

import pytest

from requests_app import access
from requests_app.models import Request, RequestState
from requests_app.roles import ROLE_CAPABILITIES, Capability, Role
from tests.factories import make_user, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def forwarded(practice, patient, providers):
    from requests_app.lifecycle import perform_transition

    item = Request.objects.get(pk=submit(practice, patient).pk)
    return perform_transition(item, "forward", actor=None)


def test_every_practice_role_has_its_capabilities_declared_in_one_place():
    assert set(ROLE_CAPABILITIES) == {Role.HANDLER, Role.DPO, Role.PRACTICE_ADMIN}
    assert all(Capability.VIEW_REQUESTS in caps for caps in ROLE_CAPABILITIES.values())


@pytest.mark.parametrize("role", [Role.DPO, Role.PRACTICE_ADMIN])
def test_fg_and_admin_read_but_do_not_handle(client, role, practice, forwarded):
    user = make_user(f"{role}@practice.example", role, practice)
    client.force_login(user)
    url = f"/staff/requests/{forwarded.reference}/"
    page = client.get(url)
    assert page.status_code == 200 and forwarded.patient_name in page.content.decode()
    assert "/act/acknowledge/" not in page.content.decode()
    assert client.post(url + "act/acknowledge/", {"acknowledge-version": 1}).status_code == 403
    assert client.post(url + "message/", {"body": "Hallo"}).status_code == 403
    after = Request.objects.get(pk=forwarded.pk)
    assert after.state == RequestState.FORWARDED and not after.messages.exists()
    assert not access.can(user, Capability.WORK_REQUESTS, practice.pk)


def test_the_admin_assigns_but_the_fg_does_not(client, practice, handler, forwarded):
    admin = make_user("admin@practice.example", Role.PRACTICE_ADMIN, practice)
    fg = make_user("fg@practice.example", Role.DPO, practice)
    url = f"/staff/requests/{forwarded.reference}/assign/"
    client.force_login(fg)
    assert client.post(url, {"version": 1, "assignee": handler.pk}).status_code == 403
    client.force_login(admin)
    # Only handlers can be given a request: not the FG.
    assert client.post(url, {"version": 1, "assignee": fg.pk}).status_code == 400
    assert client.post(url, {"version": 1, "assignee": handler.pk}).status_code == 302
    assert Request.objects.get(pk=forwarded.pk).assigned_to == handler


@pytest.mark.parametrize(
    ("role", "path", "status"),
    [
        (Role.DPO, "/staff/audit/", 200),
        (Role.PRACTICE_ADMIN, "/staff/audit/", 403),
        (Role.HANDLER, "/staff/audit/", 403),
        (Role.DPO, "/staff/incidents/", 200),
        (Role.PRACTICE_ADMIN, "/staff/incidents/", 200),
        (Role.HANDLER, "/staff/incidents/", 403),
    ],
)
def test_audit_log_and_incidents_by_role(client, practice, role, path, status):
    client.force_login(make_user(f"{role}@practice.example", role, practice))
    assert client.get(path).status_code == status
