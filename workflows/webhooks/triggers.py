"""Where webhook events come from: one receiver per record that marks a cause, so that every
path to that cause is covered and none needs a call of its own.

- A request's history row (RequestEvent, written only by requests_app.timeline.log_event, which
  every transition goes through): a change of state is `request.state_changed`; `forward` is
  also `request.forwarded` (written when the practice's first message has gone: forwarding's
  after_sent hook), a decision `request.decided`, `withdraw` `request.withdrawn`; the practice's
  own documents released alone `request.package_released`.
- A message from the practice to the patient (RequestMessage, sender practice; also the
  question that asks the patient something): `request.message`, never its text.
- A task's history row `package_released` (workflows.assistance.packages.handover.release):
  `request.package_released`, once, with the documents released in the same step.

They are post_save receivers, connected in WorkflowsConfig.ready, so requests_app imports
nothing of workflows; they run inside the transaction that writes the record, so an event
exists exactly when its cause does (and is sent after commit, by the outbox).
"""

from django.db.models import Max
from django.db.models.signals import post_save

from requests_app.models import (
    DataPackage,
    PracticeDocument,
    Request,
    RequestEvent,
    RequestMessage,
    Sender,
    TaskEvent,
)
from workflows.models import EventType
from workflows.webhooks.events import emit

DECISIONS = {"grant", "grant_partially", "refuse", "decide_complaint"}
NAMED = {"forward": EventType.FORWARDED, "withdraw": EventType.WITHDRAWN} | {
    action: EventType.DECIDED for action in DECISIONS
}


def history_row(sender, instance: RequestEvent, created: bool, raw: bool = False, **kwargs):
    request = instance.request
    if not created or raw or request.api_client_id is None:
        return
    if instance.from_state and instance.from_state != instance.to_state:
        emit(
            request,
            EventType.STATE_CHANGED,
            state=instance.to_state,
            previous_state=instance.from_state,
            occurred_at=instance.at,
        )
        if instance.action in NAMED:
            emit(
                request,
                NAMED[instance.action],
                state=instance.to_state,
                previous_state=instance.from_state,
                occurred_at=instance.at,
            )
    if instance.action == "documents_released" and not _released_with_a_package(request):
        emit(request, EventType.PACKAGE_RELEASED, occurred_at=instance.at)


def _released_with_a_package(request: Request) -> bool:
    """The documents went out with the processor's package, in one step: its event says so."""
    moment = PracticeDocument.objects.filter(request=request).aggregate(at=Max("released_at"))
    return DataPackage.objects.filter(task__request=request, released_at=moment["at"]).exists()


def practice_message(sender, instance: RequestMessage, created: bool, raw: bool = False, **kw):
    if not created or raw or instance.sender != Sender.PRACTICE:
        return
    if instance.request.api_client_id is None:
        return
    emit(instance.request, EventType.MESSAGE, occurred_at=instance.created_at)


def task_history_row(sender, instance: TaskEvent, created: bool, raw: bool = False, **kwargs):
    if not created or raw or instance.action != "package_released":
        return
    request = instance.task.request
    if request.api_client_id is not None:
        emit(request, EventType.PACKAGE_RELEASED, occurred_at=instance.at)


def register() -> None:
    post_save.connect(history_row, sender=RequestEvent, dispatch_uid="webhooks.history_row")
    post_save.connect(
        practice_message, sender=RequestMessage, dispatch_uid="webhooks.practice_message"
    )
    post_save.connect(task_history_row, sender=TaskEvent, dispatch_uid="webhooks.task_history_row")
