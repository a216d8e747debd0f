import pytest
from django.core.management import call_command

from requests_app.models import Membership, Practice, Request


@pytest.mark.django_db(transaction=True)
def test_seed_demo_is_idempotent_and_prints_logins(capsys):
    call_command("seed_demo")
    first = (Practice.objects.count(), Membership.objects.count(), Request.objects.count())
    call_command("seed_demo")
    second = (Practice.objects.count(), Membership.objects.count(), Request.objects.count())
    assert first == second and all(first)
    out = capsys.readouterr().out
    assert "support@processor.example" in out and "http://127.0.0.1:8000/" in out
