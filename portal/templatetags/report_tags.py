"""How the reports write a time taken: in the unit a reader thinks in (seconds for forwarding,
days for an answer), with the decimal separator of the page's language."""

import datetime

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

register = template.Library()

UNITS = (
    (datetime.timedelta(minutes=1), 1, gettext_noop("%(n)s s")),
    (datetime.timedelta(hours=1), 60, gettext_noop("%(n)s min")),
    (datetime.timedelta(hours=48), 3600, gettext_noop("%(n)s hours")),
)


@register.filter
def took(value: datetime.timedelta | None) -> str:
    """'45 s', '12 min', '5.5 hours', '12.3 days'; a dash when nothing was measured."""
    if value is None:
        return "–"
    seconds = value.total_seconds()
    for limit, unit, words in UNITS:
        if value < limit:
            decimals = 1 if unit == 3600 else 0
            return _(words) % {"n": number_format(seconds / unit, decimals)}
    return _("%(n)s days") % {"n": number_format(seconds / 86400, 1)}
