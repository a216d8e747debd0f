import datetime

import pytest
from django.core.exceptions import ValidationError

from requests_app.references import ALPHABET, new_reference, normalise_reference
from requests_app.validators import (
    is_valid_bsn,
    mask_bsn,
    normalise_phone,
    validate_birth_date,
)


@pytest.mark.parametrize("bsn", ["111222333", "123456782", "999999990"])
def test_bsn_passing_the_eleven_test_is_accepted(bsn):
    assert is_valid_bsn(bsn)


@pytest.mark.parametrize(
    "bsn", ["123456789", "111222334", "12345678", "abcdefghi", "000000000", ""]
)
def test_bsn_failing_the_eleven_test_or_format_is_refused(bsn):
    assert not is_valid_bsn(bsn)


def test_bsn_is_shown_with_only_its_last_three_digits():
    assert mask_bsn("123456782") == "******782"


@pytest.mark.parametrize("given", ["06 12345678", "0612345678", "+31 6 1234 5678", "0031612345678"])
def test_dutch_mobile_numbers_are_stored_in_international_form(given):
    assert normalise_phone(given) == "+31612345678"


@pytest.mark.parametrize("given", ["12", "06-123", "call me", "+31 6 1234"])
def test_malformed_phone_numbers_are_refused(given):
    with pytest.raises(ValidationError):
        normalise_phone(given)


def test_birth_date_in_the_future_is_refused():
    with pytest.raises(ValidationError):
        validate_birth_date(datetime.date.today() + datetime.timedelta(days=2))


def test_reference_is_readable_and_free_of_look_alike_characters():
    references = {new_reference() for _ in range(500)}
    assert len(references) == 500
    for ref in references:
        assert len(ref) == 11 and ref[5] == "-"
        assert set(ref.replace("-", "")) <= set(ALPHABET)
        assert not set(ref) & set("01ILOU")


def test_reference_typed_in_lower_case_without_dash_is_understood():
    assert normalise_reference("abcde fghjk") == "ABCDE-FGHJK"
