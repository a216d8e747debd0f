"""Walk every URL the portal defines: another practice's (or another patient's) request is never
reachable, and each role is refused the pages it may not use."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.factories import submit

pytestmark = pytest.mark.django_db(transaction=True)
OWN_APPS = {"intake", "staff", "patient", "api"}


def own_patterns():
    """(namespace, pattern string, parameter names) for every route of our own apps."""
    found = []

    def walk(patterns, prefix="", namespace=""):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + str(entry.pattern), entry.namespace or namespace)
            elif isinstance(entry, URLPattern) and namespace in OWN_APPS:
                found.append(
                    (namespace, prefix + str(entry.pattern), list(entry.pattern.converters))
                )

    walk(get_resolver().url_patterns)
    return found


def fill(route: str, values: dict) -> str:
    path = "/" + route
    for name, value in values.items():
        for converter in ("str", "int", "slug"):
            path = path.replace(f"<{converter}:{name}>", str(value))
    return path


def test_the_walk_sees_the_request_pages():
    routes = {route for _ns, route, params in own_patterns() if "reference" in params}
    assert "staff/requests/<str:reference>/" in routes
    assert "track/<str:reference>/reply/" in routes


@pytest.fixture
def theirs(other_practice, patient, providers):
    import dataclasses

    return submit(other_practice, dataclasses.replace(patient, email="other@example.com"))


def test_no_url_reaches_another_practices_or_patients_request(
    client, handler, theirs, api_key, patient, practice, providers
):
    mine = submit(practice, patient)
    checked = 0
    for namespace, route, params in own_patterns():
        if "reference" not in params:
            continue
        path = fill(
            route,
            {
                "reference": theirs.reference,
                "action": "acknowledge",
                "agb_code": "00000000",
                "key": f"receipt-{theirs.events.first().pk}",
            },
        )
        if namespace == "api":
            responses = [client.get(path, HTTP_AUTHORIZATION=f"Bearer {api_key}")]
        else:
            if namespace == "patient":
                from workflows.casework.patients import account_for

                client.force_login(account_for(mine.patient_email))
            else:
                client.force_login(handler)
            responses = [
                client.get(path),
                client.post(path, {"version": 0, "body": "x", "confirm": "on"}),
            ]
        for response in responses:
            assert response.status_code in (404, 405), (path, response.status_code)
        checked += 1
    assert checked >= 7
    theirs.refresh_from_db(fields=["version"])
    assert theirs.version == 1 and theirs.messages.count() == 0


@pytest.mark.parametrize(
    ("role_fixture", "path", "refused"),
    [
        ("handler", "/staff/unrouted/", 403),
        ("handler", "/staff/audit/", 403),
        ("support", "/staff/audit/", 403),
        ("patient_user", "/staff/", 403),
        ("patient_user", "/staff/audit/", 403),
        ("patient_user", "/staff/unrouted/", 403),
        ("nobody", "/staff/", 302),
        ("nobody", "/track/", 302),
    ],
)
def test_each_role_is_refused_what_it_may_not_use(
    request, client, role_fixture, path, refused, practice, patient, providers
):
    if role_fixture == "patient_user":
        from workflows.casework.patients import account_for

        submit(practice, patient)
        client.force_login(account_for(patient.email))
    elif role_fixture != "nobody":
        client.force_login(request.getfixturevalue(role_fixture))
    response = client.get(path)
    assert response.status_code == refused
    if refused == 302:
        assert "/accounts/" in response["Location"]


@pytest.mark.usefixtures("platform_db", "package_dir")
def test_no_url_reaches_another_practices_assistance_task(
    client, handler, other_handler, support, practice, patient, providers
):
    """Every task route (page, package, certificate, each step) answers 404 to a handler of
    another practice, for GET and POST, and changes nothing."""
    from requests_app.models import AssistanceTask, SubProcessor
    from tests.factories import decided
    from workflows.assistance import packages
    from workflows.assistance import tasks as assistance

    # Committing tests empty the tables between them, seeded sub-processors included.
    SubProcessor.objects.get_or_create(
        name="Video calls", defaults={"service": "video", "location": "NL", "has_api": False}
    )
    item = decided(practice, patient, handler, kind="access", grant=False)
    task = assistance.request_assistance(item, actor=handler, kind="supply", instruction="Alles")
    task = assistance.start(task, actor=support)
    packages.build_package(task, actor=support)
    client.force_login(other_handler)
    checked = 0
    for _namespace, route, _params in own_patterns():
        if not route.startswith("staff/tasks/<int:pk>"):
            continue
        path = fill(
            route, {"pk": task.pk, "action": "accept", "step": task.manual_steps.first().pk}
        )
        for response in (client.get(path), client.post(path, {"version": task.version})):
            assert response.status_code in (404, 405), (path, response.status_code)
        checked += 1
    assert checked >= 10
    after = AssistanceTask.objects.get(pk=task.pk)
    assert after.version == task.version and after.events.count() == task.events.count()


def test_no_url_reaches_another_practices_incident(
    client, practice, other_practice, patient, support, providers
):
    from requests_app.models import Incident
    from requests_app.roles import Role
    from tests.factories import make_user

    item = submit(practice, patient, about_processor=True)
    incident = Incident.objects.get(request=item)
    record = incident.concerned.get()
    fields = {"nature": "n", "personal_data": "p", "consequences": "c", "measures": "m"}
    fields |= {"version": 0, "record": record.pk, "reason": "r", "note": "n"}
    client.force_login(make_user("fg@elders.example", Role.DPO, other_practice))
    checked = 0
    for _namespace, route, _params in own_patterns():
        if route.startswith("staff/incidents/<int:pk>"):
            path = fill(route, {"pk": incident.pk})
            for response in (client.get(path), client.post(path, fields)):
                assert response.status_code in (403, 404, 405), (path, response.status_code)
            checked += 1
    assert checked >= 4
    after = Incident.objects.get(pk=incident.pk)
    assert after.state == "open" and after.version == 0 and not after.updates.exists()
    assert incident.concerned.get().ap_state == "pending"
