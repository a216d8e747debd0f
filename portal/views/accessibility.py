"""The accessibility statement (toegankelijkheidsverklaring), in the format Dutch public-facing
services publish: status, how it was tested, known limitations, how to report a problem."""

import datetime

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

# The day the statement was last reviewed against the portal; change it with the text.
REVIEWED_ON = datetime.date(2026, 11, 30)


def statement(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accessibility.html",
        {
            "reviewed_on": REVIEWED_ON,
            "processor_name": settings.PROCESSOR_NAME,
            "processor_email": settings.PROCESSOR_EMAIL,
            "processor_address": settings.PROCESSOR_ADDRESS,
        },
    )
