"""The patient withdraws a request through the app, by the same business function as on their
page (workflows.casework.patients.withdraw): only while the request is open."""

from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from ninja import Path

from portal.api import docs
from portal.api.common import own_request, recorded, router
from portal.api.errors import ApiError
from portal.api.schemas import REFERENCE, Errors, WithdrawnOut
from requests_app.errors import TransitionRefused
from requests_app.models import AuditAction
from workflows.casework import patients


@router.post(
    "/requests/{str:reference}/withdraw",
    url_name="withdraw",
    operation_id="withdrawRequest",
    summary=gettext_noop("Withdraw a request"),
    description=gettext_noop(
        "The patient withdraws the request while it is open (before the practice's decision); "
        "the practice is told. It cannot be undone. No body is needed."
    ),
    response={200: WithdrawnOut, 401: Errors, 404: Errors, 409: Errors},
    openapi_extra=docs.described(
        ok=200,
        ok_description=gettext_noop("Withdrawn."),
        ok_example=docs.WITHDRAWN,
        refusals=(401, 404),
        conflicts={
            409: (
                gettext_noop(
                    "The request can no longer be withdrawn: it was decided, closed, merged or "
                    "withdrawn already."
                ),
                {"state": ["This request can no longer be withdrawn."]},
            )
        },
    ),
)
def withdraw(request: HttpRequest, reference: str = Path(..., description=REFERENCE)):
    item = own_request(request, reference, "api.withdraw")
    try:
        item = patients.withdraw(item, patient=patients.account_for(item.patient_email))
    except TransitionRefused:
        raise ApiError(409, {"state": [_("This request can no longer be withdrawn.")]}) from None
    recorded(request, item, "api.withdraw", AuditAction.UPDATE)
    return {"reference": item.reference, "state": item.state}
