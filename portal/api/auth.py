"""Who calls: the client whose key is in `Authorization: Bearer <key>`. A key that is unknown,
revoked or of an inactive client is no key (401, errors.unauthorised)."""

from django.http import HttpRequest
from django.utils.translation import gettext_noop
from ninja.security import HttpBearer

from requests_app.models import ApiClient


class ClientKey(HttpBearer):
    """Named in the OpenAPI document's security schemes as `ClientKey`."""

    openapi_description = gettext_noop(
        "The client's key, issued once by the processor: `Authorization: Bearer dsr_...`. A "
        "client may hold several keys at once, so one can be replaced without interruption."
    )

    def authenticate(self, request: HttpRequest, token: str) -> ApiClient | None:
        return ApiClient.authenticate(token.strip())


def client_of(request: HttpRequest) -> ApiClient:
    """The authenticated client of an operation (set by Ninja once ClientKey accepted it)."""
    return request.auth
