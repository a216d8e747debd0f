"""Bad input is a clear 400 that stores nothing, never a server error: NUL bytes and bytes that are
not UTF-8 (an encoded surrogate) anywhere in a URL, a query or a form, JSON the parser chokes on,
names that read differently from how they are stored, and formulas in the DPO's CSV export."""

import csv
import dataclasses
import importlib
import inspect
import io
import json
import pkgutil
import re

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from requests_app.models import ApiClient, Incident, PendingSubmission, Request
from requests_app.roles import Role
from tests.factories import decided, make_user, submit
from tests.payloads import URL, body, details
from workflows.models import Notification

pytestmark = pytest.mark.django_db

# As they travel on the wire: a NUL byte, and a UTF-16 surrogate encoded as if it were UTF-8.
BAD = {"nul": "%00", "surrogate": "%ED%A0%80"}


def every_pattern():
    """(route with its parameters as <name>, parameter names) for every URL the portal serves,
    its own and those of the libraries it includes (sign-in, admin, language)."""
    found = []

    def walk(patterns, prefix=""):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                found.append(prefix + str(entry.pattern))

    walk(get_resolver().url_patterns)
    routes = []
    for raw in found:
        route = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", raw)  # regex groups
        route = re.sub(r"<\w+:(\w+)>", r"<\1>", route).replace("^", "").replace("$", "")
        routes.append((route, re.findall(r"<(\w+)>", route)))
    return routes


def fill(route: str, values: dict, default: str) -> str:
    return "/" + re.sub(r"<(\w+)>", lambda m: str(values.get(m.group(1), default)), route)


def parameter_names() -> list[str]:
    """Every query and form field name a view or form of ours reads, and the sign-in's."""
    from portal import forms
    from portal.forms.staff import ACTIONS
    from portal.views import staff

    names = {"page", "next", "language", "login", "password", "email", "code", "report", "send"}
    names.update(staff.FILTERS)
    for info in pkgutil.iter_modules(forms.__path__):
        module = importlib.import_module(f"{forms.__name__}.{info.name}")
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            names.update(getattr(cls, "base_fields", {}))
    for action, (form_class, _label) in ACTIONS.items():
        names.update(f"{action}-{field}" for field in form_class.base_fields)
    return sorted(names)


def encoded(names, value: str) -> str:
    return "&".join(f"{name}={value}" for name in names)


def row_counts() -> dict:
    models = [m for m in apps.get_models() if m._meta.managed and not m._meta.proxy]
    tables = set(connection.introspection.table_names())
    return {m._meta.label: m._base_manager.count() for m in models if m._meta.db_table in tables}


@pytest.fixture
def world(practice, patient, handler, support, providers):
    """Something real behind every parameter: a request, a task with its steps, an incident."""
    from requests_app.models import SubProcessor
    from workflows.assistance import tasks as assistance
    from workflows.casework.patients import account_for

    SubProcessor.objects.get_or_create(
        name="Video calls", defaults={"service": "video", "location": "NL", "has_api": False}
    )
    item = decided(practice, patient, handler, kind="access", grant=False)
    task = assistance.start(
        assistance.request_assistance(item, actor=handler, kind="supply", instruction="Alles"),
        actor=support,
    )
    incident = Incident.objects.get(request=submit(practice, patient, about_processor=True))
    step = task.manual_steps.first()
    values = {
        "reference": item.reference,
        "agb_code": practice.agb_code,
        "pk": task.pk,
        "step": step.pk if step else 1,
        "action": "acknowledge",
        "object_id": practice.pk,
        "content_type_id": 1,
        "id": handler.pk,
        "app_label": "requests_app",
    }
    _client, key = ApiClient.issue("walker-app")
    actors = {}
    for name, user in (
        ("anonymous", None),
        ("handler", handler),
        ("patient", account_for(patient.email)),
        ("api client", None),
    ):
        client = Client(raise_request_exception=False)
        if user is not None:
            client.force_login(user)
        if name == "api client":
            client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {key}"
        actors[name] = client
    return values, actors, incident


def test_the_walk_covers_every_url_and_the_parameters_views_read():
    routes = dict(every_pattern())
    assert routes["request/<agb_code>/"] == ["agb_code"]
    assert routes["api/v1/requests/<reference>"] == ["reference"]
    assert routes["staff/tasks/<pk>/steps/<step>/"] == ["pk", "step"]
    assert "accounts/login/" in routes and "i18n/setlang/" in routes
    assert any(route.startswith("admin/") for route in routes)
    names = parameter_names()
    assert {"q", "state", "since", "patient", "body", "name", "acknowledge-version"} <= set(names)


def test_nul_and_surrogates_in_every_url_and_parameter_are_a_400_that_stores_nothing(world):
    values, actors, _incident = world
    names = parameter_names()
    before = row_counts()
    failures, sent = [], 0
    for route, params in every_pattern():
        good = fill(route, values, "1")
        for value in BAD.values():
            query = encoded(names, value)
            attempts = [("GET", f"{good}?{query}", None), ("POST", good, encoded(names, value))]
            if params:  # each path parameter replaced, and the query and form still harmless
                bad = fill(route, {}, value)
                attempts += [("GET", bad, None), ("POST", bad, "version=1")]
            for actor, client in actors.items():
                for method, path, form in attempts:
                    if method == "GET":
                        response = client.get(path)
                    else:
                        response = client.generic(
                            "POST", path, form, content_type="application/x-www-form-urlencoded"
                        )
                    sent += 1
                    if response.status_code != 400:
                        failures.append((actor, method, path[:90], response.status_code))
                    elif path.startswith("/api/"):
                        assert response.json()["errors"]
                    else:
                        assert b'<main id="main"' in response.content  # in the portal's layout
    assert not failures, failures[:20]
    assert sent > 2000
    assert row_counts() == before


def test_a_nul_in_a_cookie_or_header_is_a_400_not_a_session_lookup(client, handler):
    client.raise_request_exception = False
    client.force_login(handler)
    before = row_counts()
    client.cookies["sessionid"] = "\x00" + "a" * 31
    assert client.get("/staff/").status_code == 400
    assert Client().get("/", HTTP_X_ANYTHING="a\x00b").status_code == 400
    assert row_counts() == before


def test_a_query_that_is_text_still_works(client):
    response = client.get("/", {"q": "Ütrecht"})
    assert response.status_code == 200


# --- The API's JSON ---------------------------------------------------------------------------
@pytest.fixture
def api(client, api_key, practice):
    client.raise_request_exception = False

    def post(raw, content_type="application/json", **headers):
        return client.generic(
            "POST",
            URL,
            raw,
            content_type=content_type,
            HTTP_AUTHORIZATION=f"Bearer {api_key}",
            **headers,
        )

    return post


def nothing_stored():
    return (
        Request.objects.count() == 0
        and Notification.objects.count() == 0
        and not get_user_model().objects.filter(email="jan@example.com").exists()
    )


@pytest.mark.parametrize(
    "raw",
    [
        json.dumps(body()).replace("Jan Jansen", "Jan \\ud800Jansen"),  # a lone surrogate
        json.dumps(body()).replace("Ik wil", "Ik \\udfff wil"),
        json.dumps(body()).replace('"kind"', '"ki\\ud800nd"'),  # in a key
        json.dumps(body()).replace("Jan Jansen", "Jan\\u0000Jansen"),  # NUL
        json.dumps(body()).replace("Jan Jansen", "Jan \\udc00\\ud800 Jansen"),  # reversed pair
    ],
    ids=["name", "description", "key", "nul", "reversed-pair"],
)
def test_unstorable_characters_in_json_are_a_400_that_stores_nothing(api, raw):
    response = api(raw)
    assert response.status_code == 400, response.content
    assert response.json()["errors"]["body"]
    assert nothing_stored()


def test_a_proper_surrogate_pair_is_just_a_character(api):
    raw = json.dumps(body(description="Graag alles \U0001f600"))  # sent as "\ud83d\ude00"
    assert "\\ud83d\\ude00" in raw
    assert api(raw).status_code == 201


@pytest.mark.parametrize(
    "raw",
    [
        "[" * 10_000 + "]" * 10_000,
        '{"a":' * 10_000 + "1" + "}" * 10_000,
        json.dumps({**body(), "extra": [[[[[[[[[[[[["deep"]]]]]]]]]]]]]}),
    ],
    ids=["arrays", "objects", "moderately-deep"],
)
def test_deeply_nested_json_under_the_size_limit_is_a_400(api, raw):
    assert len(raw.encode()) < 64 * 1024
    response = api(raw)
    assert response.status_code == 400
    assert response.json()["errors"]["body"]
    assert nothing_stored()


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""],
)
def test_a_body_that_is_not_json_is_a_415(api, content_type):
    response = api(json.dumps(body()), content_type=content_type)
    assert response.status_code == 415
    assert response.json()["errors"]["body"]
    assert nothing_stored()


def test_json_with_a_charset_is_json(api):
    response = api(json.dumps(body()), content_type="application/json; charset=utf-8")
    assert response.status_code == 201


def test_an_idempotency_key_with_control_characters_is_refused(api):
    response = api(json.dumps(body()), HTTP_IDEMPOTENCY_KEY="abc\x01")
    assert response.status_code == 400 and "Idempotency-Key" in response.json()["errors"]
    assert nothing_stored()


def test_a_submission_the_database_refuses_leaves_no_patient_account(api):
    """The account is made in the submission's own transaction: when storing the request fails
    (here the database itself refuses it), no account for the address is left behind."""
    if connection.vendor != "postgresql":
        pytest.skip("uses a PostgreSQL trigger to make the database refuse")
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$"
        )
        cursor.execute(
            "CREATE TRIGGER test_refuse BEFORE INSERT ON requests_app_request "
            "FOR EACH ROW EXECUTE FUNCTION test_refuse()"
        )
    users = get_user_model().objects.count()
    response = api(json.dumps(body(patient={"email": "nieuw@example.com"})))
    assert response.status_code == 500
    assert get_user_model().objects.count() == users
    assert not get_user_model().objects.filter(email="nieuw@example.com").exists()
    assert Request.objects.count() == 0 and Notification.objects.count() == 0


# --- Names that read differently from how they are stored -------------------------------------
HIDDEN = {
    "right-to-left override": "Jan \u202eNESNAJ",
    "left-to-right embedding": "\u202aJan Jansen",
    "isolate": "Jan \u2067Jansen\u2069",
    "zero-width space": "Jan Jan\u200bsen",
    "zero-width joiner": "Jan Jan\u200dsen",
    "right-to-left mark": "Jan Jansen\u200f",
    "byte-order mark": "\ufeffJan Jansen",
    "word joiner": "Jan\u2060Jansen",
    "soft hyphen": "Jan Jan\u00adsen",
    "tag character": "Jan Jansen\U000e0041",
    "Hangul filler": "Jan \u3164Jansen",
}


@pytest.mark.parametrize("name", HIDDEN.values(), ids=HIDDEN.keys())
def test_names_with_hidden_or_direction_characters_are_refused_on_the_web(client, practice, name):
    response = client.post(f"/request/{practice.agb_code}/", details(name=name))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "name" in errors and "U+" in errors["name"][0]
    assert PendingSubmission.objects.count() == 0


@pytest.mark.parametrize("name", HIDDEN.values(), ids=HIDDEN.keys())
def test_names_with_hidden_or_direction_characters_are_refused_by_the_api(api, name):
    response = api(json.dumps(body(patient={"name": name})))
    assert response.status_code == 400
    assert "U+" in response.json()["errors"]["patient.name"][0]
    assert nothing_stored()


def test_a_practice_name_typed_by_the_patient_is_checked_too(client):
    response = client.post("/request/other/", details(practice_given="Praktijk \u202eTSEW"))
    assert "practice_given" in response.context["form"].errors


@pytest.mark.parametrize("name", ["Jan Jansen", "Zoë Öztürk-de Vries", "Ελένη", "محمد", "李小龙"])
def test_ordinary_names_in_any_script_are_accepted(api, name):
    response = api(json.dumps(body(patient={"name": name})))
    assert response.status_code == 201
    assert Request.objects.get().patient_name == name


# --- The DPO's CSV export ---------------------------------------------------------------------
def test_the_audit_export_never_hands_a_spreadsheet_a_formula(client, practice, patient):
    from requests_app import audit
    from requests_app.models import AuditAction

    dpo = make_user("fg@practice.example", Role.DPO, practice)
    # An address a patient chose (valid, and a formula), and labels that start like one.
    item = submit(practice, dataclasses.replace(patient, email="=1+2@example.com"))
    for label in ("=HYPERLINK(1)", "+31 6 1234", "-2+3", "@SUM(1)", "\tx", "\rx"):
        audit.record("test.odd", AuditAction.READ, user_label=label, practice_id=practice.pk)
    client.force_login(dpo)
    response = client.get("/staff/audit/export.csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    cells = [value for row in rows for value in row.values()]
    assert "'=1+2@example.com" in {r["patient_id"] for r in rows}
    assert {"'=HYPERLINK(1)", "'+31 6 1234", "'-2+3", "'@SUM(1)", "'\tx", "'\rx"} <= set(cells)
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert item.reference in {r["object_id"] for r in rows}
