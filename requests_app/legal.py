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
        _(
            "Would harm the rights and freedoms of others "
            "(GDPR art. 15(4) and 20(4); UAVG art. 41(1)(i))"
        ),
    )
    # Kept only so that decisions recorded with it still read right: the patient's own request
    # to destroy their file overrides the retention term (Civil Code art. 7:455(1)), so it is
    # offered for no request (see GROUNDS_BY_KIND).
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
            "Keeping the record is reasonably likely to be of considerable importance to "
            "someone other than the patient (Civil Code art. 7:455(2))"
        ),
    )
    WGBO_STATUTORY_DUTY = (
        "wgbo_statutory_duty",
        _("A statutory provision forbids destroying the record (Civil Code art. 7:455(2))"),
    )
    LEGAL_CLAIMS = "legal_claims", _("Needed for legal claims (GDPR art. 17(3)(e), 18(2), 21(1))")
    COMPELLING_GROUNDS = (
        "compelling_grounds",
        _("Compelling legitimate grounds override the objection (GDPR art. 21(1))"),
    )
    NOT_APPLICABLE = (
        "not_applicable",
        _("The right does not apply to this processing (GDPR art. 20(1) or 21(1))"),
    )


G = LegalGround
# The grounds that exist in law for each kind of request (docs/legal.md gives the articles).
# Every right may be refused for an unproven identity (GDPR art. 12(6)), a manifestly unfounded or
# excessive request (art. 12(5)) or to protect others (art. 15(4), 20(4); UAVG art. 41(1)(i)).
_ALWAYS = (G.IDENTITY, G.MANIFESTLY_UNFOUNDED, G.RIGHTS_OF_OTHERS)
GROUNDS_BY_KIND: dict[str, tuple[str, ...]] = {
    "access": _ALWAYS,
    "rectification": _ALWAYS,
    # Erasure of the app's data (GDPR art. 17): its own exceptions (art. 17(3)). The medical file
    # is destroyed on a request of its own kind, with the WGBO's grounds (below).
    "erasure": (*_ALWAYS, G.LEGAL_CLAIMS),
    "restriction": (*_ALWAYS, G.LEGAL_CLAIMS),
    "portability": (*_ALWAYS, G.NOT_APPLICABLE),
    "objection": (*_ALWAYS, G.COMPELLING_GROUNDS, G.LEGAL_CLAIMS, G.NOT_APPLICABLE),
    # Destroying the medical file (Civil Code art. 7:455): the retention term of art. 7:454(3)
    # yields to the patient's request (art. 7:455(1)); only art. 7:455(2) stands against it,
    # besides an unproven identity and a manifestly unfounded or excessive request.
    "destruction": (
        G.IDENTITY,
        G.MANIFESTLY_UNFOUNDED,
        G.WGBO_OTHERS_INTEREST,
        G.WGBO_STATUTORY_DUTY,
    ),
    "complaint": (),  # a complaint ends in a verdict, not a refusal on a ground
}


def grounds_for(kind: str) -> list[tuple[str, str]]:
    """The (value, label) choices a practice may give for a request of this kind."""
    allowed = GROUNDS_BY_KIND.get(kind, ())
    return [(value, label) for value, label in LegalGround.choices if value in allowed]


class ComplaintVerdict(models.TextChoices):
    FOUNDED = "founded", _("Founded")
    PARTLY_FOUNDED = "partly_founded", _("Partly founded")
    UNFOUNDED = "unfounded", _("Unfounded")
