import datetime

from django.utils import timezone

from requests_app.models import PendingSubmission
from requests_app.models.intake import CodeCheck


def make_pending() -> tuple[PendingSubmission, str]:
    pending = PendingSubmission(email="jan@example.com", payload={})
    code = pending.issue_code()
    return pending, code


def test_right_code_is_accepted_and_has_six_digits():
    pending, code = make_pending()
    assert len(code) == 6 and code.isdigit()
    assert pending.check_code(code) is CodeCheck.OK


def test_code_is_not_stored_in_clear():
    pending, code = make_pending()
    assert code not in pending.code_hash


def test_five_wrong_codes_spend_the_code_even_for_the_right_one_after():
    pending, code = make_pending()
    wrong = "000000" if code != "000000" else "111111"
    results = [pending.check_code(wrong) for _ in range(5)]
    assert results == [CodeCheck.WRONG] * 4 + [CodeCheck.LOCKED]
    assert pending.check_code(code) is CodeCheck.LOCKED


def test_code_expires_after_fifteen_minutes():
    pending, code = make_pending()
    later = timezone.now() + datetime.timedelta(minutes=15, seconds=1)
    assert pending.check_code(code, now=later) is CodeCheck.EXPIRED
    assert pending.check_code(code, now=later - datetime.timedelta(minutes=1)) is CodeCheck.OK


def test_a_new_code_replaces_the_old_one_and_resets_the_tries():
    pending, first = make_pending()
    pending.check_code("999999" if first != "999999" else "888888")
    second = pending.issue_code()
    assert pending.attempts == 0
    if first != second:
        assert pending.check_code(first) is CodeCheck.WRONG
    assert pending.check_code(second) is CodeCheck.OK
