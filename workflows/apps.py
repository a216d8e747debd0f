from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = _("Workflows")

    def ready(self) -> None:
        from workflows import jobs  # noqa: F401 - registers the jobs, so any process can publish
        from workflows.intake import forwarding

        forwarding.register()  # what delivery does after a practice's message has gone
