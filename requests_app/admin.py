"""Administration of configuration only. Requests, messages and patients are deliberately not
in the admin: every view of patient data goes through the scoped pages (and the audit log)."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from requests_app.models import (
    ApiClient,
    DataCategory,
    EquatedHoliday,
    HourlyRate,
    Membership,
    Practice,
    ProcessingActivity,
    ProcessorContact,
    SecurityMeasure,
    SubProcessor,
    SubProcessorApproval,
    SubProcessorChange,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


class RecordsWhoApproved:
    """Approvals record the account that entered them (agreement art. 7.1: whose consent, when,
    and who put it in the register)."""

    def save_formset(self, request, form, formset, change):
        for approval in formset.save(commit=False):
            if isinstance(approval, SubProcessorApproval) and approval.recorded_by_id is None:
                approval.recorded_by = request.user
            approval.save()
        for gone in formset.deleted_objects:
            gone.delete()
        formset.save_m2m()


class ApprovalInline(admin.TabularInline):
    """The practice's approvals, on the practice's page."""

    model = SubProcessorApproval
    extra = 0
    fields = ["subprocessor", "approved_on", "evidence", "recorded_by", "recorded_at"]
    readonly_fields = ["recorded_by", "recorded_at"]


class ApprovedByInline(ApprovalInline):
    """The practices that approved it, on the sub-processor's page."""

    fields = ["practice", "approved_on", "evidence", "recorded_by", "recorded_at"]
    autocomplete_fields = ["practice"]


class SubProcessorForm(forms.ModelForm):
    categories = forms.MultipleChoiceField(
        label=_("data categories received"),
        choices=DataCategory.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = SubProcessor
        fields = [
            "name",
            "service_nl",
            "service",
            "location_nl",
            "location",
            "inside_eea",
            "transfer_mechanism",
            "categories",
            "has_api",
            "active",
            "note",
        ]


@admin.register(Practice)
class PracticeAdmin(RecordsWhoApproved, admin.ModelAdmin):
    list_display = ["name", "agb_code", "city", "dpo_email", "active"]
    list_filter = ["active"]
    search_fields = ["name", "agb_code", "city", "postcode"]
    inlines = [MembershipInline, ApprovalInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "practice"]
    list_filter = ["role"]
    search_fields = ["user__email", "practice__name"]
    autocomplete_fields = ["user", "practice"]


@admin.register(EquatedHoliday)
class EquatedHolidayAdmin(admin.ModelAdmin):
    list_display = ["date", "description"]


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    """Read only: clients are managed at /staff/api-clients/ or with `manage.py api_clients`,
    which check the webhook address, show a key once and audit every change."""

    list_display = ["name", "active", "per_minute", "per_day", "webhook_url", "created_at"]
    fields = ["name", "active", "per_minute", "per_day", "webhook_url", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SubProcessor)
class SubProcessorAdmin(RecordsWhoApproved, admin.ModelAdmin):
    form = SubProcessorForm
    list_display = [
        "name",
        "service_nl",
        "location_nl",
        "inside_eea",
        "transfer_mechanism",
        "active",
    ]
    list_filter = ["active", "inside_eea"]
    search_fields = ["name"]
    fields = [
        "name",
        ("service_nl", "service"),
        ("location_nl", "location"),
        ("inside_eea", "transfer_mechanism"),
        "categories",
        "has_api",
        "active",
        "note",
    ]
    inlines = [ApprovedByInline]


@admin.register(SubProcessorApproval)
class SubProcessorApprovalAdmin(admin.ModelAdmin):
    list_display = ["subprocessor", "practice", "approved_on", "evidence", "recorded_by"]
    list_filter = ["subprocessor"]
    search_fields = ["practice__name", "practice__agb_code", "subprocessor__name"]
    fields = ["practice", "subprocessor", "approved_on", "evidence", "recorded_by", "recorded_at"]
    readonly_fields = ["recorded_by", "recorded_at"]
    autocomplete_fields = ["practice", "subprocessor"]

    def save_model(self, request, obj, form, change):
        if obj.recorded_by_id is None:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(ProcessorContact)
class ProcessorContactAdmin(admin.ModelAdmin):
    """Bijlage 5: whom a practice calls about an incident, and who stands in."""

    list_display = ["role", "name", "function", "email", "phone"]


class ProcessingActivityForm(forms.ModelForm):
    categories = forms.MultipleChoiceField(
        label=_("categories of personal data"),
        choices=DataCategory.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = ProcessingActivity
        fields = [
            "key",
            "position",
            "source",
            "name_nl",
            "name",
            "nature_nl",
            "nature",
            "purposes_nl",
            "purposes",
            "data_subjects_nl",
            "data_subjects",
            "categories",
            "other_data_nl",
            "other_data",
            "retention_rule",
            "retention_nl",
            "retention",
            "active",
        ]


@admin.register(ProcessingActivity)
class ProcessingActivityAdmin(admin.ModelAdmin):
    """The processing in the register of processing (GDPR art. 30(2)(b)), in both languages."""

    form = ProcessingActivityForm
    list_display = ["name", "source", "retention_rule", "position", "active"]
    list_editable = ["position", "active"]


@admin.register(SecurityMeasure)
class SecurityMeasureAdmin(admin.ModelAdmin):
    """The security measures in the register (GDPR art. 32(1); Bijlage 2), in both languages."""

    list_display = ["title", "kind", "source", "position", "active"]
    list_filter = ["kind", "source"]
    list_editable = ["position", "active"]


@admin.register(SubProcessorChange)
class SubProcessorChangeAdmin(admin.ModelAdmin):
    """Read only: a change is announced, answered and withdrawn on the portal's pages, where
    every step is recorded (agreement art. 7.1)."""

    list_display = ["subprocessor", "kind", "effective_on", "state", "announced_at"]
    list_filter = ["state", "kind"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(HourlyRate)
class HourlyRateAdmin(admin.ModelAdmin):
    """Bijlage 3: a changed rate is a new row from its date on; entries keep the rate they were
    recorded at (agreement art. 9.2)."""

    list_display = ["function", "rate", "valid_from"]
    list_filter = ["function"]
    ordering = ["function", "-valid_from"]
