"""The processor's register of processing activities (GDPR art. 30(2); agreement art. 3.5): what
it does for each practice, and the security measures it takes (GDPR art. 32(1); agreement art. 4
and Bijlage 2). Data, not template text: seeded from Bijlage 1 and 2 in Dutch and English and
kept up to date in the admin. The register a practice receives is built from these rows, the
practice's own details and approvals, and the settings (workflows/register/processing.py)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from requests_app.models.subprocessor import DataCategory


class RetentionRule(models.TextChoices):
    """Where a processing activity's retention period comes from: a setting or the practice's
    own choice, so the register never states a term the code does not keep."""

    PRACTICE_REQUESTS = "practice_requests", _("the practice's retention of closed requests")
    AUDIT_LOG = "audit_log", _("the retention of the audit log (AUDIT_RETENTION_YEARS)")
    PACKAGES = "packages", _("the retention of data packages (PACKAGE_RETENTION_DAYS)")
    AS_WRITTEN = "as_written", _("as written in the activity (e.g. from Bijlage 1)")


class ActivitySource(models.TextChoices):
    AGREEMENT = "agreement", _("the processing agreement (Bijlage 1)")
    PORTAL = "portal", _("this privacy portal")


class ProcessingActivity(models.Model):
    """One category of processing carried out for every practice (GDPR art. 30(2)(b))."""

    key = models.SlugField(_("key"), max_length=50, unique=True)
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    source = models.CharField(_("described in"), max_length=20, choices=ActivitySource.choices)
    name_nl = models.CharField(_("name (Dutch)"), max_length=200)
    name = models.CharField(_("name (English)"), max_length=200)
    nature_nl = models.TextField(_("nature of the processing (Dutch)"))
    nature = models.TextField(_("nature of the processing (English)"))
    purposes_nl = models.TextField(_("purposes (Dutch)"))
    purposes = models.TextField(_("purposes (English)"))
    data_subjects_nl = models.CharField(_("categories of data subjects (Dutch)"), max_length=300)
    data_subjects = models.CharField(_("categories of data subjects (English)"), max_length=300)
    categories = models.JSONField(
        _("categories of personal data"),
        default=list,
        blank=True,
        help_text=_("Values of the data categories of Bijlage 1."),
    )
    other_data_nl = models.CharField(_("other personal data (Dutch)"), max_length=300, blank=True)
    other_data = models.CharField(_("other personal data (English)"), max_length=300, blank=True)
    retention_rule = models.CharField(_("retention"), max_length=20, choices=RetentionRule.choices)
    retention_nl = models.CharField(_("retention as written (Dutch)"), max_length=300, blank=True)
    retention = models.CharField(_("retention as written (English)"), max_length=300, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "key"]
        verbose_name = _("processing activity")
        verbose_name_plural = _("processing activities")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(retention_rule="as_written")
                | (~models.Q(retention_nl="") & ~models.Q(retention="")),
                name="processing_activity_retention_written",
                violation_error_message=_(
                    "A retention 'as written' needs its text in Dutch and in English."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def text(self, field: str, language: str) -> str:
        return getattr(self, f"{field}_nl" if language.startswith("nl") else field)

    def category_labels(self) -> list[str]:
        return [str(DataCategory(c).label) for c in self.categories if c in DataCategory.values]


class MeasureKind(models.TextChoices):
    TECHNICAL = "technical", _("Technical measure")
    ORGANISATIONAL = "organisational", _("Organisational measure")


class SecurityMeasure(models.Model):
    """One technical or organisational security measure (GDPR art. 32(1), art. 30(2)(d))."""

    position = models.PositiveSmallIntegerField(_("order"), default=0)
    kind = models.CharField(_("kind"), max_length=20, choices=MeasureKind.choices)
    source = models.CharField(
        _("described in"),
        max_length=20,
        choices=[
            ("bijlage2", _("the processing agreement (Bijlage 2)")),
            ("portal", _("this privacy portal")),
        ],
    )
    title_nl = models.CharField(_("title (Dutch)"), max_length=200)
    title = models.CharField(_("title (English)"), max_length=200)
    description_nl = models.TextField(_("description (Dutch)"))
    description = models.TextField(_("description (English)"))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["kind", "position", "pk"]
        verbose_name = _("security measure")
        verbose_name_plural = _("security measures")
        constraints = [
            models.UniqueConstraint(fields=["source", "title"], name="security_measure_once"),
        ]

    def __str__(self) -> str:
        return self.title

    def text(self, field: str, language: str) -> str:
        return getattr(self, f"{field}_nl" if language.startswith("nl") else field)
