"""Records the tests start from: practices, staff, submitted and decided requests, packages."""

import datetime

from django.contrib.auth import get_user_model
from django.utils import timezone

from requests_app.models import ApiClient, Channel, Membership, Practice, Request, RequestState
from requests_app.references import new_reference
from requests_app.roles import Role
from workflows.intake.submission import Submission, submit_request


def make_practice(agb: str = "01234567", **overrides) -> Practice:
    fields = {
        "name": f"Huisartsenpraktijk {agb}",
        "agb_code": agb,
        "street": "Lindelaan 1",
        "postcode": "3511AB",
        "city": "Utrecht",
        "dpo_name": "Anna de Vries",
        "dpo_email": f"fg-{agb}@practice.example",
        "dpo_phone": "+31612345678",
        "standin_name": "Bert",
        "standin_email": f"standin-{agb}@practice.example",
    }
    fields.update(overrides)
    return Practice.objects.create(**fields)


# What a practice must have set before it can take complaints (the complaint letters name them).
COMPLAINT_SETTINGS = {
    "complaints_officer": "Mw. K. Klacht",
    "complaints_officer_email": "klachten@praktijk.example",
    "complaints_officer_phone": "030 123 45 67",
    "disputes_body": "Geschilleninstantie Huisartsenzorg",
    "disputes_body_contact": "Postbus 1, 3500 AA Utrecht",
    "disputes_body_website": "https://geschillen.example",
}


def with_complaint_settings(practice: Practice, **overrides) -> Practice:
    for field, value in (COMPLAINT_SETTINGS | overrides).items():
        setattr(practice, field, value)
    practice.save()
    return practice


TOTP_SECRET = "JBSWY3DPEHPK3PXP"


def make_user(email: str, role: Role, practice: Practice | None = None, *, mfa: bool = True):
    """A staff account; with `mfa` it has an authenticator app set up (TOTP_SECRET)."""
    from allauth.mfa.totp.internal.auth import TOTP

    user = get_user_model().objects.create_user(
        username=email, email=email, password="a-long-test-password"
    )
    Membership.objects.create(user=user, role=role, practice=practice)
    if mfa:
        TOTP.activate(user, TOTP_SECRET)
    return user


def totp_code(secret: str = TOTP_SECRET) -> str:
    """The code an authenticator app shows right now."""
    import time

    from allauth.mfa.totp.internal import auth

    # A code read in the last seconds of its 30-second window may expire before it is used.
    left = 30 - time.time() % 30
    if left < 5:
        time.sleep(left + 0.1)
    counters = list(auth.yield_hotp_counters_from_time())
    return auth.format_hotp_value(auth.hotp_value(secret, counters[len(counters) // 2]))


def submit(
    practice,
    patient,
    *,
    kind="access",
    description="Welke gegevens heeft u?",
    channel=Channel.WEB,
    practice_given="",
    about_processor=False,
    **kwargs,
) -> Request:
    """A request as intake stores it (messages are sent on commit)."""
    return submit_request(
        submission=Submission(
            practice=practice,
            kind=kind,
            patient=patient,
            description=description,
            practice_given=practice_given,
            about_processor=about_processor,
        ),
        channel=channel,
        **kwargs,
    )


def webhook_client(url: str, name: str = "patient-app") -> ApiClient:
    """An API client with a webhook address and a signing secret."""
    client, _key = ApiClient.issue(name)
    client.webhook_url = url
    client.save(update_fields=["webhook_url"])
    client.rotate_webhook_secret()
    return client


def submit_from_app(practice, patient, client: ApiClient, **kwargs) -> Request:
    """A request the app submitted for the patient (its events go to the client's webhook)."""
    return submit(practice, patient, channel=Channel.APP, api_client=client, **kwargs)


def forwarded(item: Request) -> Request:
    """The request as the practice has it: forwarding runs after commit, which a test may not
    reach, so it is done here when it has not happened."""
    from requests_app.lifecycle import perform_transition

    item = Request.objects.get(pk=item.pk)
    if item.state == "received":
        item = perform_transition(item, "forward", actor=None)
    return item


def decided(practice, patient, handler, *, kind="erasure", grant=True) -> Request:
    """A request the practice has taken through identity check (and, with `grant`, granted)."""
    from requests_app.lifecycle import perform_transition

    item = forwarded(submit(practice, patient, kind=kind))
    item = perform_transition(item, "acknowledge", actor=handler)
    item = perform_transition(item, "verify_identity", actor=handler, how="ID at the desk")
    if grant:
        item = perform_transition(item, "grant", actor=handler)
    return item


def granted(item, handler) -> Request:
    """The practice's decision to give the data: nothing is released to the patient before it."""
    from requests_app.lifecycle import perform_transition

    item = Request.objects.get(pk=item.pk)
    if item.state == "in_progress":
        item = perform_transition(item, "grant", actor=handler)
    return item


def released_package(item, handler, support):
    """A package support built and delivered, the practice accepted, granted and released."""
    from workflows.assistance import packages
    from workflows.assistance import tasks as assistance

    task = assistance.start(
        assistance.request_assistance(item, actor=handler, kind="supply", instruction="Alles"),
        actor=support,
    )
    package = packages.build_package(task, actor=support)
    for step in task.manual_steps.all():
        assistance.tick_manual_step(step, actor=support, note="Niets")
    task = assistance.deliver(task, actor=support)
    packages.record_download(package, user=handler, who="practice")  # the practice's review
    assistance.accept(task, actor=handler)
    granted(item, handler)
    return packages.release(package, actor=handler)


def approve(practice, *names: str, on=None, by=None) -> None:
    """The practice's written consent to these register entries (agreement art. 7.1)."""
    import datetime

    from requests_app.models import SubProcessor, SubProcessorApproval

    for name in names:
        SubProcessorApproval.objects.create(
            practice=practice,
            subprocessor=SubProcessor.objects.get(name=name),
            approved_on=on or datetime.date(2020, 3, 14),
            evidence="Verwerkersovereenkomst, Bijlage 1",
            recorded_by=by,
        )


def tell_every_recipient(item, handler) -> None:
    """The practice ticks off every recipient of the register as told today (GDPR art. 19)."""
    from django.utils import timezone

    from requests_app.models.completion import register_recipients
    from workflows.casework import completion

    for sub in register_recipients():
        notice = completion.notice_for(item, f"s-{sub.pk}")
        completion.tell(notice, actor=handler, told_on=timezone.localdate(), how="email")


def erased_with_certificate(item, handler, support):
    """The processor's erasure task for `item`, run, certified, delivered and accepted."""
    from workflows.assistance import erasure
    from workflows.assistance import tasks as assistance

    task = assistance.start(
        assistance.request_assistance(item, actor=handler, kind="erase", instruction="Alles"),
        actor=support,
    )
    erasure.run_erasure(task, actor=support)
    for step in task.manual_steps.all():
        assistance.tick_manual_step(step, actor=support, note="Verwijderd")
    erasure.issue_certificate(task, actor=support)
    task = assistance.deliver(task, actor=support)
    return assistance.accept(task, actor=handler)


def a_register() -> None:
    """Sub-processors that receive data, as the migrations seed them: committing tests empty
    the tables between them, seeded rows included."""
    from requests_app.models import SubProcessor

    for name, service, categories in (
        ("VANAD Enovation", "hosting of the web platform", ["name", "email", "conversations"]),
        ("SendGrid", "e-mail notifications", ["email"]),
    ):
        SubProcessor.objects.get_or_create(
            name=name,
            defaults={"service": service, "location": "NL", "categories": categories},
        )


def queued_requests(practice: Practice, n: int = 1, **fields) -> list[Request]:
    """Requests straight into a practice's queue, without intake's side effects: for queue tests."""
    defaults = {
        "kind": "access",
        "patient_name": "Piet Pieters",
        "patient_email": "piet@example.com",
        "patient_birth_date": datetime.date(1970, 1, 1),
        "description": "-",
        "channel": "web",
        "state": RequestState.FORWARDED,
        "response_due": timezone.localdate() + datetime.timedelta(days=20),
    }
    defaults.update(fields)
    return Request.objects.bulk_create(
        [Request(practice=practice, reference=new_reference(), **defaults) for _ in range(n)]
    )


def queue_refs(response) -> list[str]:
    """The references a queue page lists, in order."""
    return [item.reference for item in response.context["page"].object_list]


def failed_message(
    *,
    recipient: str = "jan@exampel.com",
    request: Request | None = None,
    practice: Practice | None = None,
    purpose: str = "patient_update",
    medium: str = "email",
    error: str = "SendGrid answered 400: b'does not contain a valid address'",
    scrub_after_send: bool = False,
):
    """An outbox row that failed for good, as delivery leaves one the provider refused."""
    from workflows.models import Notification, Status

    return Notification.objects.create(
        request=request,
        practice=practice,
        purpose=purpose,
        medium=medium,
        recipient=recipient,
        subject="Nieuws over uw privacyverzoek",
        body="Er is nieuws over uw verzoek. Log in om het te lezen.",
        status=Status.FAILED,
        attempts=1,
        last_error=error,
        scrub_after_send=scrub_after_send,
    )
