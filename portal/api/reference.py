"""The API reference for people: one page, drawn on the server from the generated OpenAPI
document (so it never says other than the document does), in Dutch or English like every
public page, and readable without JavaScript. Ninja's own docs page loads Swagger UI's scripts
from elsewhere and runs inline script, which the portal's Content-Security-Policy forbids."""

import dataclasses
import json
import re

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from ninja import NinjaAPI

METHODS = ("get", "post", "put", "patch", "delete")
REF = "#/components/schemas/"
# The schema of errors, and which enums the page explains value by value.
ERRORS = "Errors"


def words(text: str) -> SafeString:
    """A description from the document in the reader's language (each is a msgid, see
    portal/api/schemas.py), its `code` shown as code."""
    escaped = escape(_(text)) if text else ""
    return mark_safe(re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped))  # noqa: S308 (escaped)


@dataclasses.dataclass
class Field:
    name: str
    type: str
    required: bool
    description: SafeString
    enum: str = ""  # the enum whose values are explained below


@dataclasses.dataclass
class Example:
    title: str
    json: str


@dataclasses.dataclass
class Answer:
    status: str
    description: SafeString
    fields: list[Field]
    headers: list[tuple[str, SafeString]]
    example: Example | None

    @property
    def refusal(self) -> bool:
        return not self.status.startswith("2")


@dataclasses.dataclass
class Operation:
    method: str
    path: str
    operation_id: str
    summary: str
    description: SafeString
    parameters: list[Field]
    body: list[Field]
    body_example: Example | None
    answers: list[Answer]

    @property
    def anchor(self) -> str:
        return f"op-{self.operation_id}"


@dataclasses.dataclass
class EnumValues:
    name: str
    description: SafeString
    values: list[tuple[str, SafeString]]


class Document:
    """Reads the OpenAPI document: its operations, their fields, the enums they use."""

    def __init__(self, openapi: dict):
        self.openapi = openapi
        self.schemas = openapi.get("components", {}).get("schemas", {})

    def operations(self) -> list[Operation]:
        found = []
        for path, methods in self.openapi["paths"].items():
            for method in METHODS:
                if method in methods:
                    found.append(self._operation(method, path, methods[method]))
        return found

    def enums(self) -> list[EnumValues]:
        return [
            EnumValues(
                name,
                words(schema.get("description", "")),
                [(v, words(schema["x-enumDescriptions"].get(v, ""))) for v in schema["enum"]],
            )
            for name, schema in self.schemas.items()
            if "x-enumDescriptions" in schema
        ]

    def error_fields(self) -> list[Field]:
        return self.fields(self.schemas[ERRORS])

    def _operation(self, method: str, path: str, details: dict) -> Operation:
        where = {"path": _("in the path"), "header": _("header"), "query": _("in the query")}
        parameters = [
            Field(
                f"{p['name']} ({where.get(p['in'], p['in'])})",
                self.type_of(p.get("schema", {})),
                p.get("required", False),
                words(p.get("description", "")),
            )
            for p in details.get("parameters", [])
        ]
        body, body_example = [], None
        content = details.get("requestBody", {}).get("content", {}).get("application/json")
        if content:
            body = self.fields(content.get("schema", {}))
            body_example = self._example(_("Example request body"), content)
        answers = [
            self._answer(str(status), answer)
            for status, answer in sorted(details["responses"].items(), key=lambda s: str(s[0]))
        ]
        return Operation(
            method.upper(),
            path,
            details["operationId"],
            _(details.get("summary", "")),
            words(details.get("description", "")),
            parameters,
            body,
            body_example,
            answers,
        )

    def _answer(self, status: str, answer: dict) -> Answer:
        fields, example = [], None
        for media, content in answer.get("content", {}).items():
            schema = content.get("schema", {})
            if media == "application/json" and schema.get("$ref") != REF + ERRORS:
                fields = self.fields(schema)
            found = self._example(_("Example answer %(status)s") % {"status": status}, content)
            example = example or found
            if media != "application/json":
                fields = [Field(_("(the file)"), media, True, words(""))]
        headers = [
            (name, words(header.get("description", "")))
            for name, header in answer.get("headers", {}).items()
        ]
        label = _("any other") if status == "default" else status
        return Answer(label, words(answer.get("description", "")), fields, headers, example)

    @staticmethod
    def _example(title: str, content: dict) -> Example | None:
        for example in content.get("examples", {}).values():
            text = json.dumps(example.get("value"), indent=2, ensure_ascii=False)
            return Example(title, text)
        return None

    def _resolve(self, schema: dict) -> dict:
        if "$ref" in schema:
            return self.schemas[schema["$ref"].removeprefix(REF)]
        if len(schema.get("allOf", [])) == 1:
            return self._resolve(schema["allOf"][0])
        return schema

    def _enum_name(self, schema: dict) -> str:
        for part in [schema, *schema.get("anyOf", []), *schema.get("allOf", [])]:
            if "$ref" in part and "x-enumDescriptions" in self._resolve(part):
                return part["$ref"].removeprefix(REF)
        return ""

    def type_of(self, schema: dict) -> str:
        """A field's type in words: string (date), one of a named enum, a list of objects."""
        options = schema.get("anyOf") or [schema]
        nullable = any(option.get("type") == "null" for option in options)
        named = [self._type_one(option) for option in options if option.get("type") != "null"]
        text = " | ".join(named) or "null"
        return _("%(type)s or null") % {"type": text} if nullable else text

    def _type_one(self, schema: dict) -> str:
        enum = self._enum_name(schema)
        if enum:
            return enum
        schema = self._resolve(schema)
        kind = schema.get("type", "object")
        if kind == "array":
            return _("list of %(type)s") % {"type": self.type_of(schema.get("items", {}))}
        if schema.get("format"):
            return f"{kind} ({schema['format']})"
        return kind

    def fields(self, schema: dict, prefix: str = "") -> list[Field]:
        """The properties of an object schema, nested objects flattened (`patient.email`,
        `steps[].at`)."""
        schema = self._resolve(schema)
        required = set(schema.get("required", []))
        found = []
        for name, prop in schema.get("properties", {}).items():
            full = f"{prefix}{name}"
            enum = self._enum_name(prop)
            # A field that is just an enum says what it is through the enum's own description.
            text = prop.get("description") or (enum and self.schemas[enum].get("description"))
            found.append(Field(full, self.type_of(prop), name in required, words(text), enum))
            inner = self._object_inside(prop)
            if inner is not None:
                marker = "[]." if self._is_list(prop) else "."
                found.extend(self.fields(inner, full + marker))
        return found

    def _is_list(self, prop: dict) -> bool:
        return any(self._resolve(p).get("type") == "array" for p in prop.get("anyOf", [prop]))

    def _object_inside(self, prop: dict) -> dict | None:
        """The object schema a property holds (itself, or its list's items), if any."""
        for option in prop.get("anyOf", [prop]):
            option = self._resolve(option)
            if option.get("type") == "array":
                option = self._resolve(option.get("items", {}))
            if option.get("properties"):
                return option
        return None


@require_safe
def page(request: HttpRequest, api: NinjaAPI) -> HttpResponse:
    openapi = api.get_openapi_schema(path_params={})
    document = Document(openapi)
    return render(
        request,
        "api/reference.html",
        {
            "info": openapi["info"],
            "openapi_version": openapi["openapi"],
            "openapi_url": reverse("api:openapi-json"),
            "base_path": reverse("api:api-root"),
            "operations": document.operations(),
            "enums": document.enums(),
            "error_fields": document.error_fields(),
            "error_example": json.dumps(
                {"errors": {"patient.email": [_("Enter a valid email address.")]}},
                indent=2,
                ensure_ascii=False,
            ),
        },
    )
