"""The patient app's API, version 1: one Django Ninja API at /api/v1/ (URL namespace "api"),
its OpenAPI 3.1 document generated from the typed schemas (/api/v1/openapi.json), and the
reference page for people (/api/v1/reference). A breaking change needs /api/v2/."""

from django.urls import URLPattern, path, re_path
from django.utils.translation import gettext_noop
from ninja import NinjaAPI

# Each module adds its operations to the router; the document lists them in this order.
# isort: off
from portal.api import intake, tracking, conversation, withdrawal  # noqa: F401

# isort: on
from portal.api import errors, reference
from portal.api.body import StrictJsonParser
from portal.api.common import router

api = NinjaAPI(
    title="Privacyverzoeken: the patient app's API",
    version="1.0",
    description=gettext_noop(
        "Submit and follow patients' privacy requests and complaints to their GP practice on "
        "their behalf. Every call needs the client's key (`Authorization: Bearer <key>`) and "
        "sees only the requests the same client submitted. Every refusal is "
        '`{"errors": {"field": ["message"]}}`; messages and texts follow Accept-Language '
        "(Dutch by default, or English)."
    ),
    urls_namespace="api",
    # Ninja's docs page (Swagger UI) loads scripts from elsewhere and runs inline script, which
    # the Content-Security-Policy forbids: the reference page is ours, drawn on the server.
    docs_url=None,
    parser=StrictJsonParser(),
)
errors.install(api)
api.add_router("", router)


def urls() -> tuple[list, str, str]:
    """The API's routes for portal/urls.py: Ninja's (each answering a method it does not take
    in the error format), the reference page, and a JSON 404 for any other address."""
    patterns, _app, namespace = api.urls
    routes = [
        URLPattern(p.pattern, errors.json_refusals(p.callback), p.default_args, p.name)
        for p in patterns
    ]
    routes.append(path("reference", reference.page, {"api": api}, name="reference"))
    routes.append(re_path(r"^.*$", errors.not_found))
    return routes, "api", namespace
