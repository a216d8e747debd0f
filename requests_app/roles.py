"""Who a staff account is, per practice or for the processor. The one place roles are defined."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    HANDLER = "handler", _("Request handler")
    DPO = "dpo", _("Data protection officer")
    PRACTICE_ADMIN = "practice_admin", _("Practice administrator")
    SUPPORT = "support", _("Processor support")
    PROCESSOR_ADMIN = "processor_admin", _("Processor administrator")


PRACTICE_ROLES = frozenset({Role.HANDLER, Role.DPO, Role.PRACTICE_ADMIN})
PROCESSOR_ROLES = frozenset({Role.SUPPORT, Role.PROCESSOR_ADMIN})
