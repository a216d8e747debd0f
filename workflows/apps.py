from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = _("Workflows")

    def ready(self) -> None:
        from workflows import jobs  # noqa: F401 - registers the jobs, so any process can publish
        from workflows.intake import forwarding
        from workflows.webhooks import channel, deliveries, triggers

        forwarding.register()  # what delivery does after a practice's message has gone
        # Webhooks to API clients: events written with their causes (post_save receivers on
        # the history, messages and task history: workflows/webhooks/triggers.py), the channel
        # that posts them, and the log of every try.
        triggers.register()
        channel.register()
        deliveries.register()
