"""The second factor before a patient downloads a data package: a 6-digit code by SMS to the
request's mobile number, on top of the e-mailed sign-in code (the Dutch DPA expects two factors
for health data). The code is kept in the patient's session, only as an HMAC, and works for 10
minutes; the counts of tries and codes are kept server-side (the cache, Redis in production),
per request and account, so parallel guesses or a new session do not reset them. The same code
guards linking an identity broker (DigiD) to the account."""

import secrets
import time

from django.core.cache import cache
from django.db import transaction
from django.utils.crypto import constant_time_compare, salted_hmac

from requests_app.errors import DomainError
from requests_app.models import Request
from workflows.messaging import outbox
from workflows.models import Medium, Purpose

CODE_SECONDS = 10 * 60
MAX_TRIES = 5
MAX_SENDS = 5
SENDS_WINDOW = 24 * 60 * 60  # at most MAX_SENDS codes a day per request and account
# After a correct code the download (or linking) stays open this long in the same session.
PASSED_SECONDS = 15 * 60
KEY = "download_codes"
# Set at sign-in through an identity broker (DigiD): the keyed digest of the BSN it vouched for.
# That is two factors already, but only for a request that carries the same BSN: the broker says
# who the person is, and only the BSN ties that person to the request.
BROKER_SESSION_KEY = "broker_bsn_digest"


class CodeRefused(DomainError):
    """Too many codes asked or tried; the patient must wait or ask the practice."""


def _digest(scope: str, code: str) -> str:
    return salted_hmac("package-download", f"{scope}:{code}").hexdigest()


def _state(session, scope: str) -> dict:
    return session.get(KEY, {}).get(scope, {})


def _save(session, scope: str, state: dict) -> None:
    codes = dict(session.get(KEY, {}))
    codes[scope] = state
    session[KEY] = codes


def _count(name: str, scope: str, user_id: int, timeout: int) -> int:
    """Add one to a server-side counter and return it (atomic in Redis and in local memory)."""
    key = f"download-code:{name}:{scope}:{user_id}"
    cache.add(key, 0, timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout)
        return 1


def _send(session, scope: str, request, user_id: int, template: str, now: float | None) -> None:
    if request is None or not request.patient_phone:
        raise CodeRefused("no mobile number")
    now = now or time.time()
    if _count("sends", scope, user_id, SENDS_WINDOW) > MAX_SENDS:
        raise CodeRefused("too many codes")
    cache.delete(f"download-code:tries:{scope}:{user_id}")  # a new code, new tries
    code = f"{secrets.randbelow(10**6):06d}"
    _save(session, scope, {"digest": _digest(scope, code), "expires": now + CODE_SECONDS})
    with transaction.atomic():
        outbox.enqueue(
            [
                outbox.message(
                    purpose=Purpose.DOWNLOAD_CODE,
                    medium=Medium.SMS,
                    recipient=request.patient_phone,
                    template=template,
                    language=request.language,
                    request=request,
                    context={"code": code},
                    scrub_after_send=True,  # the code must not stay readable in the outbox
                )
            ]
        )


def _check(session, scope: str, code: str, user_id: int, now: float | None) -> bool:
    now = now or time.time()
    state = _state(session, scope)
    if not state.get("digest") or now > state["expires"]:
        raise CodeRefused("no valid code")
    if _count("tries", scope, user_id, CODE_SECONDS) > MAX_TRIES:
        raise CodeRefused("too many tries")
    if constant_time_compare(state["digest"], _digest(scope, code)):
        _save(session, scope, {"passed_until": now + PASSED_SECONDS})
        return True
    return False


def _passed(session, scope: str, now: float | None) -> bool:
    return (now or time.time()) < _state(session, scope).get("passed_until", 0)


# --- Before downloading the answer (the package and the practice's documents) ---------------
# One code opens the whole answer to one request: the processor's package and the practice's
# own documents are downloaded from the same page.
def _answer_scope(item: Request) -> str:
    return f"answer-{item.pk}"


def send_code(session, item: Request, user_id: int, now: float | None = None) -> None:
    _send(session, _answer_scope(item), item, user_id, "download_code", now)


def check_code(session, item: Request, code: str, user_id: int, now: float | None = None) -> bool:
    return _check(session, _answer_scope(item), code, user_id, now)


def code_sent(session, item: Request) -> bool:
    return bool(_state(session, _answer_scope(item)))


def passed(session, item: Request, now: float | None = None) -> bool:
    vouched = session.get(BROKER_SESSION_KEY)
    if vouched and vouched == item.bsn_digest:
        return True
    return _passed(session, _answer_scope(item), now)


# --- Before linking an identity broker (DigiD) to the account ----------------------------------
# Whoever holds only the mailbox must not be able to link their own DigiD and so skip the SMS
# code from then on: linking needs the same second factor first.
LINK_SCOPE = "link"


def link_phone_request(user):
    """The request whose mobile number gets the code: the patient's oldest with one (a request
    filed later, with another number, by whoever holds the mailbox does not redirect it)."""
    from requests_app import selectors

    return (
        selectors.requests_of_patient(user)
        .exclude(patient_phone="")
        .order_by("received_at")
        .first()
    )


def send_link_code(session, user, now: float | None = None) -> None:
    _send(session, LINK_SCOPE, link_phone_request(user), user.pk, "link_code", now)


def check_link_code(session, code: str, user_id: int, now: float | None = None) -> bool:
    return _check(session, LINK_SCOPE, code, user_id, now)


def link_code_sent(session) -> bool:
    return bool(_state(session, LINK_SCOPE))


def link_passed(session, now: float | None = None) -> bool:
    return _passed(session, LINK_SCOPE, now)
