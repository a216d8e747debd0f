"""The admin is for configuration and staff accounts. Patients' accounts (their e-mail
addresses, their linked identities) are not listed: every view of patient data goes through the
scoped, audited pages."""

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount, SocialToken
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from requests_app.access import PATIENT_USERNAME_PREFIX

User = get_user_model()


class StaffUserAdmin(UserAdmin):
    def get_queryset(self, request):
        return super().get_queryset(request).exclude(username__startswith=PATIENT_USERNAME_PREFIX)


admin.site.unregister(User)
admin.site.register(User, StaffUserAdmin)
for model in (EmailAddress, SocialAccount, SocialToken):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
