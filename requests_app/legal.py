"""Legal grounds a practice may record when it refuses or partly grants a request."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class LegalGround(models.TextChoices):
    IDENTITY = "identity", _("Identity could not be established (GDPR art. 11(2), 12(2) and 12(6))")
    MANIFESTLY_UNFOUNDED = (
        "manifestly_unfounded",
        _("Manifestly unfounded or excessive (GDPR art. 12(5))"),
    )
    RIGHTS_OF_OTHERS = (
        "rights_of_others",
        _("Would harm the rights and freedoms of others (GDPR art. 15(4); UAVG art. 41)"),
    )
    WGBO_RETENTION = (
        "wgbo_retention",
        _(
            "Medical record must be kept: WGBO retention duty (Civil Code art. 7:454(3); "
            "GDPR art. 17(3)(b))"
        ),
    )
    WGBO_OTHERS_INTEREST = (
        "wgbo_others_interest",
        _(
            "Keeping the record is of considerable importance to someone else "
            "(Civil Code art. 7:455(2))"
        ),
    )
    LEGAL_CLAIMS = "legal_claims", _("Needed for legal claims (GDPR art. 17(3)(e), 18(2), 21(1))")
    COMPELLING_GROUNDS = (
        "compelling_grounds",
        _("Compelling legitimate grounds override the objection (GDPR art. 21(1))"),
    )
    NOT_APPLICABLE = (
        "not_applicable",
        _("The right does not apply to this processing (e.g. portability, GDPR art. 20(1))"),
    )


class ComplaintVerdict(models.TextChoices):
    FOUNDED = "founded", _("Founded")
    PARTLY_FOUNDED = "partly_founded", _("Partly founded")
    UNFOUNDED = "unfounded", _("Unfounded")
