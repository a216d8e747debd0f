"""The second factor before a patient downloads a data package: a 6-digit code by SMS to the
request's mobile number, on top of the e-mailed sign-in code (the Dutch DPA expects two factors
for health data). The code is kept in the patient's session, only as an HMAC, and works for 10
minutes; the counts of tries and codes are kept server-side (the cache, Redis in production),
per package and account, so parallel guesses or a new session do not reset them."""

import secrets
import time

from django.core.cache import cache
from django.db import transaction
from django.utils.crypto import constant_time_compare, salted_hmac

from requests_app.models import DataPackage
from workflows import outbox
from workflows.models import Medium, Purpose

CODE_SECONDS = 10 * 60
MAX_TRIES = 5
MAX_SENDS = 5
SENDS_WINDOW = 24 * 60 * 60  # at most MAX_SENDS codes a day per package and account
# After a correct code the download stays open this long in the same session.
PASSED_SECONDS = 15 * 60
KEY = "download_codes"
# Set at sign-in through an identity broker (DigiD): that is two factors already.
BROKER_SESSION_KEY = "signed_in_by_broker"


class CodeRefused(Exception):
    """Too many codes asked or tried; the patient must wait or ask the practice."""


def _digest(package: DataPackage, code: str) -> str:
    return salted_hmac("package-download", f"{package.pk}:{code}").hexdigest()


def _state(session, package: DataPackage) -> dict:
    return session.get(KEY, {}).get(str(package.pk), {})


def _save(session, package: DataPackage, state: dict) -> None:
    codes = dict(session.get(KEY, {}))
    codes[str(package.pk)] = state
    session[KEY] = codes


def _count(name: str, package: DataPackage, user_id: int, timeout: int) -> int:
    """Add one to a server-side counter and return it (atomic in Redis and in local memory)."""
    key = f"download-code:{name}:{package.pk}:{user_id}"
    cache.add(key, 0, timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout)
        return 1


def send_code(session, package: DataPackage, user_id: int, now: float | None = None) -> None:
    request = package.task.request
    if not request.patient_phone:
        raise CodeRefused("no mobile number")
    now = now or time.time()
    if _count("sends", package, user_id, SENDS_WINDOW) > MAX_SENDS:
        raise CodeRefused("too many codes")
    cache.delete(f"download-code:tries:{package.pk}:{user_id}")  # a new code, new tries
    code = f"{secrets.randbelow(10**6):06d}"
    _save(session, package, {"digest": _digest(package, code), "expires": now + CODE_SECONDS})
    with transaction.atomic():
        outbox.enqueue(
            [
                outbox.message(
                    purpose=Purpose.DOWNLOAD_CODE,
                    medium=Medium.SMS,
                    recipient=request.patient_phone,
                    template="download_code",
                    language=request.language,
                    request=request,
                    context={"code": code},
                    scrub_after_send=True,  # the code must not stay readable in the outbox
                )
            ]
        )


def check_code(
    session, package: DataPackage, code: str, user_id: int, now: float | None = None
) -> bool:
    now = now or time.time()
    state = _state(session, package)
    if not state.get("digest") or now > state["expires"]:
        raise CodeRefused("no valid code")
    if _count("tries", package, user_id, CODE_SECONDS) > MAX_TRIES:
        raise CodeRefused("too many tries")
    if constant_time_compare(state["digest"], _digest(package, code)):
        _save(session, package, {"passed_until": now + PASSED_SECONDS})
        return True
    return False


def code_sent(session, package: DataPackage) -> bool:
    return bool(_state(session, package))


def passed(session, package: DataPackage, now: float | None = None) -> bool:
    if session.get(BROKER_SESSION_KEY):
        return True
    return (now or time.time()) < _state(session, package).get("passed_until", 0)
