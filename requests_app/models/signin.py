"""A patient's sign-in code: one per account, stored only as an HMAC, with its tries counted in
the row itself (a conditional UPDATE), so parallel guesses share the same five tries."""

from django.conf import settings
from django.db import models


class PatientSignInCode(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="signin_code"
    )
    digest = models.CharField(max_length=64)
    expires_at = models.DateTimeField()
    tries = models.PositiveSmallIntegerField(default=0)

    def __str__(self) -> str:
        return f"sign-in code of account {self.user_id}"
