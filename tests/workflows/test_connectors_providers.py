"""The Twilio and SendGrid connectors through the real SDKs, against the local fake server.

Every assertion about erasure looks at what the fake provider still holds afterwards.
"""

import datetime

import pytest

from workflows.assistance.connectors import ConnectorError, Erased, Finding, Identifiers
from workflows.assistance.connectors.sendgrid_contacts import SendGridContactsConnector
from workflows.assistance.connectors.twilio_sms import TwilioSmsConnector
from workflows.messaging.channels import TwilioSms

PRACTICE = "01234567"
MOBILE = "+31612345678"
OTHER_MOBILE = "+31687654321"
OUR_NUMBER = "+3197010000000"
EMAIL = "jan@example.com"
OTHER_EMAIL = "piet@example.com"


def at(day: int, month: int = 3, year: int = 2024) -> datetime.datetime:
    return datetime.datetime(year, month, day, 9, 30, tzinfo=datetime.UTC)


def by_mobile(mobile: str = MOBILE) -> Identifiers:
    return Identifiers(practice_code=PRACTICE, mobile=mobile)


def by_email(email: str = EMAIL) -> Identifiers:
    return Identifiers(practice_code=PRACTICE, email=email)


def list_calls(providers) -> list:
    return [
        c for c in providers.calls if c.method == "GET" and c.path.split("?")[0].endswith(".json")
    ]


# --- Twilio -------------------------------------------------------------------------------
@pytest.fixture
def twilio(providers):
    return TwilioSmsConnector()


@pytest.fixture
def exchanged(providers):
    """Three messages with the patient (two to, one from), one with somebody else."""
    return [
        providers.add_sms(MOBILE, OUR_NUMBER, "Uw verzoek is ontvangen.", at(1)),
        providers.add_sms(
            OUR_NUMBER, MOBILE, "Dank u", at(2), direction="inbound", status="received"
        ),
        providers.add_sms(MOBILE, OUR_NUMBER, "Uw verzoek is afgehandeld.", at(20)),
        providers.add_sms(OTHER_MOBILE, OUR_NUMBER, "Iets anders", at(5, month=1)),
    ]


def test_twilio_find_counts_messages_both_ways_with_their_date_range(twilio, exchanged):
    assert twilio.find(by_mobile()) == [Finding("twilio", "mobile", 3, at(1), at(20))]


def test_twilio_find_counts_a_message_to_oneself_once(twilio, providers):
    providers.add_sms(MOBILE, MOBILE, "test", at(3))

    assert twilio.find(by_mobile()) == [Finding("twilio", "mobile", 1, at(3), at(3))]


def test_twilio_find_holds_nothing_for_an_unknown_number(twilio, exchanged):
    assert twilio.find(by_mobile("+31600000000")) == []


def test_twilio_without_a_mobile_number_asks_nothing(twilio, exchanged, providers):
    ids = Identifiers(practice_code=PRACTICE, email=EMAIL)

    assert twilio.find(ids) == []
    assert list(twilio.export(ids)) == []
    assert twilio.erase(ids, frozenset()) == []
    assert providers.calls == []


def test_twilio_finds_a_text_sent_through_the_sms_channel(twilio, providers):
    TwilioSms().send(to=MOBILE, subject="", body="Uw code is 1234", idempotency_key="k1")

    [finding] = twilio.find(by_mobile())
    assert finding.count == 1
    assert finding.first is not None  # not sent yet: the creation time stands in


def test_twilio_reads_settings_at_call_time(twilio, exchanged, settings):
    settings.TWILIO_ACCOUNT_SID = "AC" + "1" * 32  # another account holds none of these

    assert twilio.find(by_mobile()) == []

    settings.TWILIO_ACCOUNT_SID = ""
    with pytest.raises(ConnectorError, match="not configured"):
        twilio.find(by_mobile())


def test_twilio_export_gives_every_message_with_its_fields(twilio, exchanged):
    rows = list(twilio.export(by_mobile()))

    assert {category for category, _ in rows} == {"mobile"}
    by_sid = {row["sid"]: row for _, row in rows}
    assert set(by_sid) == set(exchanged[:3])
    assert by_sid[exchanged[1]] == {
        "sid": exchanged[1],
        "direction": "inbound",
        "from": MOBILE,
        "to": OUR_NUMBER,
        "body": "Dank u",
        "status": "received",
        "date_sent": "2024-03-02T09:30:00+00:00",
    }
    assert by_sid[exchanged[0]]["body"] == "Uw verzoek is ontvangen."
    assert by_sid[exchanged[0]]["direction"] == "outbound-api"


def test_twilio_erase_deletes_the_messages_and_a_second_run_removes_nothing(
    twilio, exchanged, providers
):
    assert twilio.erase(by_mobile(), frozenset()) == [Erased("twilio", "mobile", removed=3)]
    assert [m["sid"] for m in providers.sms_messages()] == [exchanged[3]]
    deletes = [c for c in providers.calls if c.method == "DELETE"]
    assert sorted(c.path.rsplit("/", 1)[1] for c in deletes) == sorted(
        f"{sid}.json" for sid in exchanged[:3]
    )

    assert twilio.erase(by_mobile(), frozenset()) == [Erased("twilio", "mobile", removed=0)]
    assert twilio.find(by_mobile()) == []


def test_twilio_erase_keeps_what_the_practice_keeps(twilio, exchanged, providers):
    assert twilio.erase(by_mobile(), frozenset({"mobile"})) == [
        Erased("twilio", "mobile", removed=0, kept=3)
    ]
    assert len(providers.sms_messages()) == 4
    assert [c for c in providers.calls if c.method == "DELETE"] == []


def test_twilio_a_message_already_gone_counts_as_not_removed(twilio, exchanged, providers):
    providers.fail_next(1, status=404, method="DELETE")

    assert twilio.erase(by_mobile(), frozenset()) == [Erased("twilio", "mobile", removed=2)]
    # The fake refused that delete, so the message is still there for the next run.
    assert twilio.erase(by_mobile(), frozenset()) == [Erased("twilio", "mobile", removed=1)]
    assert [m["sid"] for m in providers.sms_messages()] == [exchanged[3]]


def test_twilio_reads_every_page(providers):
    twilio = TwilioSmsConnector(page_size=2)
    for day in range(1, 6):
        providers.add_sms(MOBILE, OUR_NUMBER, f"bericht {day}", at(day))
    for day in range(6, 9):
        providers.add_sms(OUR_NUMBER, MOBILE, f"antwoord {day}", at(day), direction="inbound")

    assert twilio.find(by_mobile()) == [Finding("twilio", "mobile", 8, at(1), at(8))]
    to_pages = [c.query for c in list_calls(providers) if c.query.get("To") == MOBILE]
    assert [(q["PageSize"], q.get("Page", "0")) for q in to_pages] == [
        ("2", "0"),
        ("2", "1"),
        ("2", "2"),
    ]
    assert len({row["sid"] for _, row in twilio.export(by_mobile())}) == 8

    # Deleting does not shift the pages under the listing: everything goes in one run.
    assert twilio.erase(by_mobile(), frozenset()) == [Erased("twilio", "mobile", removed=8)]
    assert providers.sms_messages() == []


def test_twilio_failure_is_a_connector_error_and_nothing_is_removed(twilio, exchanged, providers):
    providers.fail_next(1, status=503)
    with pytest.raises(ConnectorError, match="503"):
        twilio.find(by_mobile())

    providers.fail_next(1, status=503)
    with pytest.raises(ConnectorError, match="503"):
        list(twilio.export(by_mobile()))

    providers.fail_next(1, status=503)
    with pytest.raises(ConnectorError, match="503"):
        twilio.erase(by_mobile(), frozenset())
    assert len(providers.sms_messages()) == 4


def test_twilio_failure_while_deleting_says_how_far_it_got(twilio, exchanged, providers):
    providers.fail_next(1, status=500, method="DELETE")

    with pytest.raises(ConnectorError, match=r"500.*after removing 0 of 3"):
        twilio.erase(by_mobile(), frozenset())
    # A new run finishes the job.
    assert twilio.erase(by_mobile(), frozenset()) == [Erased("twilio", "mobile", removed=3)]


def test_twilio_unreachable_is_a_connector_error(twilio, settings):
    settings.TWILIO_API_BASE_URL = "http://127.0.0.1:9"  # nothing listens there

    with pytest.raises(ConnectorError, match="unreachable"):
        twilio.find(by_mobile())


# --- SendGrid -----------------------------------------------------------------------------
@pytest.fixture
def sendgrid(providers):
    return SendGridContactsConnector()


@pytest.fixture
def held(providers):
    """Jan is a contact with a name, bounced once and unsubscribed; Piet is on the lists too."""
    contact = providers.add_contact(EMAIL, "Jan", "Jansen", created_at=at(1, month=1))
    providers.add_suppression("bounces", EMAIL, created=at(10), reason="550 mailbox unknown")
    providers.add_suppression("global", EMAIL)
    providers.add_contact(OTHER_EMAIL, "Piet", "Peters")
    providers.add_suppression("bounces", OTHER_EMAIL, created=at(11))
    return contact


def held_for(providers, email: str) -> list[dict]:
    return [c for c in providers.contacts() if c["email"] == email] + [
        s for s in providers.suppressions() if email in (s.get("email"), s.get("recipient_email"))
    ]


def test_sendgrid_find_counts_the_contact_and_each_suppression(sendgrid, held):
    assert sendgrid.find(by_email()) == [
        Finding("sendgrid", "email", 3, at(1, month=1), at(10)),
        Finding("sendgrid", "name", 1, at(1, month=1), at(1, month=1)),
    ]


def test_sendgrid_find_ignores_the_case_of_the_address(sendgrid, held):
    assert [f.count for f in sendgrid.find(by_email("Jan@Example.COM"))] == [3, 1]


def test_sendgrid_contact_without_a_name_holds_only_the_address(sendgrid, providers):
    providers.add_contact(EMAIL, created_at=at(4))

    assert sendgrid.find(by_email()) == [Finding("sendgrid", "email", 1, at(4), at(4))]
    assert [category for category, _ in sendgrid.export(by_email())] == ["email"]


def test_sendgrid_suppression_only(sendgrid, providers):
    providers.add_suppression("spam_reports", EMAIL, created=at(7))
    providers.add_suppression("invalid_emails", EMAIL, created=at(8), reason="unknown domain")
    providers.add_suppression("blocks", EMAIL, created=at(9), reason="blocked")

    assert sendgrid.find(by_email()) == [Finding("sendgrid", "email", 3, at(7), at(9))]


def test_sendgrid_holds_nothing_for_an_unknown_address(sendgrid, held):
    assert sendgrid.find(by_email("nobody@example.com")) == []
    assert list(sendgrid.export(by_email("nobody@example.com"))) == []


def test_sendgrid_without_an_address_asks_nothing(sendgrid, held, providers):
    ids = Identifiers(practice_code=PRACTICE, mobile=MOBILE)

    assert sendgrid.find(ids) == []
    assert list(sendgrid.export(ids)) == []
    assert sendgrid.erase(ids, frozenset()) == []
    assert providers.calls == []


def test_sendgrid_address_with_a_plus_reaches_the_right_entries(sendgrid, providers):
    address = "jan+portaal@example.com"
    providers.add_suppression("bounces", address, created=at(2))

    assert sendgrid.find(by_email(address)) == [Finding("sendgrid", "email", 1, at(2), at(2))]
    assert sendgrid.erase(by_email(address), frozenset()) == [
        Erased("sendgrid", "email", removed=1)
    ]
    assert providers.suppressions() == []


def test_sendgrid_export_gives_the_contact_each_suppression_and_the_name(sendgrid, held):
    rows = list(sendgrid.export(by_email()))

    assert rows == [
        (
            "email",
            {
                "kind": "contact",
                "contact_id": held,
                "email": EMAIL,
                "alternate_emails": [],
                "list_ids": [],
                "created_at": "2024-01-01T09:30:00Z",
                "updated_at": "2024-01-01T09:30:00Z",
            },
        ),
        (
            "email",
            {
                "kind": "bounce",
                "email": EMAIL,
                "created": "2024-03-10T09:30:00+00:00",
                "reason": "550 mailbox unknown",
                "status": "5.1.1",
            },
        ),
        ("email", {"kind": "global_unsubscribe", "email": EMAIL}),
        ("name", {"contact_id": held, "first_name": "Jan", "last_name": "Jansen"}),
    ]


def test_sendgrid_erase_deletes_everything_and_a_second_run_removes_nothing(
    sendgrid, held, providers
):
    assert sendgrid.erase(by_email(), frozenset()) == [
        Erased("sendgrid", "email", removed=2, kept=1),
        Erased("sendgrid", "name", removed=1),
    ]
    # The global unsubscribe stays: without it the address could be mailed again.
    assert [s.get("email") or s.get("recipient_email") for s in held_for(providers, EMAIL)] == [
        EMAIL
    ]
    assert len(held_for(providers, OTHER_EMAIL)) == 2  # somebody else's entries stay

    again = sendgrid.erase(by_email(), frozenset())
    assert again == [Erased("sendgrid", "email", removed=0, kept=1)]
    assert [f.count for f in sendgrid.find(by_email())] == [1]


def test_sendgrid_erase_keeps_everything_when_the_address_is_kept(sendgrid, held, providers):
    assert sendgrid.erase(by_email(), frozenset({"email"})) == [
        Erased("sendgrid", "email", removed=0, kept=3),
        Erased("sendgrid", "name", removed=0, kept=1),
    ]
    assert len(held_for(providers, EMAIL)) == 3
    assert [c for c in providers.calls if c.method == "DELETE"] == []


def test_sendgrid_keeping_the_name_keeps_the_contact_but_not_the_suppressions(
    sendgrid, held, providers
):
    # The contact holds both address and name; it cannot go without the name going too.
    assert sendgrid.erase(by_email(), frozenset({"name"})) == [
        Erased("sendgrid", "email", removed=1, kept=2),
        Erased("sendgrid", "name", removed=0, kept=1),
    ]
    assert [c.get("id") for c in held_for(providers, EMAIL)] == [held, None]  # + the opt-out


def test_sendgrid_an_entry_already_gone_counts_as_not_removed(sendgrid, held, providers):
    providers.fail_next(1, status=404, method="DELETE")  # the contact, deleted first

    assert sendgrid.erase(by_email(), frozenset()) == [
        Erased("sendgrid", "email", removed=1, kept=1),
        Erased("sendgrid", "name", removed=0),
    ]


def test_sendgrid_failure_is_a_connector_error_and_nothing_is_removed(sendgrid, held, providers):
    providers.fail_next(1, status=503)
    with pytest.raises(ConnectorError, match="503"):
        sendgrid.find(by_email())

    providers.fail_next(1, status=503)
    with pytest.raises(ConnectorError, match="503"):
        list(sendgrid.export(by_email()))

    providers.fail_next(1, status=503)
    with pytest.raises(ConnectorError, match="503"):
        sendgrid.erase(by_email(), frozenset())
    assert len(held_for(providers, EMAIL)) == 3


def test_sendgrid_failure_while_deleting_says_how_far_it_got(sendgrid, held, providers):
    providers.fail_next(1, status=500, method="DELETE")

    with pytest.raises(ConnectorError, match=r"500.*after removing 0 entries"):
        sendgrid.erase(by_email(), frozenset())
    assert sendgrid.erase(by_email(), frozenset())[0] == Erased(
        "sendgrid", "email", removed=2, kept=1
    )


def test_sendgrid_reads_settings_at_call_time(sendgrid, held, settings):
    settings.SENDGRID_API_KEY = ""

    with pytest.raises(ConnectorError, match="not configured"):
        sendgrid.find(by_email())


def test_sendgrid_unreachable_is_a_connector_error(sendgrid, settings):
    settings.SENDGRID_API_HOST = "http://127.0.0.1:9"

    with pytest.raises(ConnectorError, match="unreachable"):
        sendgrid.find(by_email())


# --- The fake server's record of what was sent ------------------------------------------
def test_look_ups_and_deletes_are_recorded_but_not_counted_as_sent(
    twilio, sendgrid, exchanged, held, providers
):
    twilio.erase(by_mobile(), frozenset())
    sendgrid.erase(by_email(), frozenset())

    assert {c.service for c in providers.calls} == {"twilio", "sendgrid"}
    assert {c.method for c in providers.calls} == {"GET", "POST", "DELETE"}
    assert providers.emails() == []
    assert providers.sms() == []
    assert all(c.to == [] and c.text == "" for c in providers.calls if c.method != "POST")
