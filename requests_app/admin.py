"""Administration of configuration only. Requests, messages and patients are deliberately not
in the admin: every view of patient data goes through the scoped pages (and the audit log)."""

from django.contrib import admin

from requests_app.models import (
    ApiClient,
    EquatedHoliday,
    Membership,
    Practice,
    SubProcessor,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Practice)
class PracticeAdmin(admin.ModelAdmin):
    list_display = ["name", "agb_code", "city", "dpo_email", "active"]
    list_filter = ["active"]
    search_fields = ["name", "agb_code", "city", "postcode"]
    inlines = [MembershipInline]


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
    list_display = ["name", "key_hint", "active", "per_minute", "per_day", "created_at"]
    readonly_fields = ["key_hint", "created_at"]
    fields = ["name", "key_hint", "active", "per_minute", "per_day", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False  # keys are made with `manage.py create_api_client`, which shows them once


@admin.register(SubProcessor)
class SubProcessorAdmin(admin.ModelAdmin):
    list_display = ["name", "service", "location", "inside_eea", "has_api", "active"]
    list_filter = ["active", "inside_eea"]
