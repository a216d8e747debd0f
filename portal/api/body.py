"""Reading a request body as JSON, strictly: only `application/json`, at most 64 KB, no NUL or
unpaired surrogate in any string or key, no deeper than any sane client nests, and an object.
Whatever fails here is refused before any schema, form or query sees it."""

import json

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.parser import Parser

from portal.api.errors import UNSTORABLE, ApiError, not_json
from requests_app.validators import is_storable

MAX_BODY_BYTES = 64 * 1024
MAX_DEPTH = 10  # a submission itself is two levels deep


class StrictJsonParser(Parser):
    def parse_body(self, request: HttpRequest) -> dict:
        if request.content_type != "application/json":
            raise not_json()
        if len(request.body) > MAX_BODY_BYTES:
            raise ApiError(413, {"body": [_("The request body is too large.")]})
        body = parse(request.body)
        if not isinstance(body, dict):
            raise ApiError(400, {"body": [_("The request body must be a JSON object.")]})
        return body


def parse(raw: bytes) -> object:
    """The body as JSON. Besides malformed JSON this refuses what would fail later: nesting too
    deep for the parser (RecursionError) or for any sane client, and a NUL or an unpaired
    surrogate ("\\ud800") in any string, which cannot be stored."""
    try:
        body = json.loads(raw)
    except RecursionError:
        raise _refused(_("The request body is nested too deeply.")) from None
    except (ValueError, UnicodeDecodeError):
        raise _refused(_("The request body is not valid JSON.")) from None
    pending = [(body, 1)]  # walked without recursion, however the parser was built
    while pending:
        value, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise _refused(_("The request body is nested too deeply."))
        if isinstance(value, dict):
            if not all(is_storable(key) for key in value):
                raise _refused(str(UNSTORABLE))
            pending.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            pending.extend((item, depth + 1) for item in value)
        elif isinstance(value, str) and not is_storable(value):
            raise _refused(str(UNSTORABLE))
    return body


def _refused(message: str) -> ApiError:
    return ApiError(400, {"body": [message]})
