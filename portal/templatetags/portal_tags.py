"""Template helpers for accessible forms (WCAG 2.1: errors and help tied to their fields)."""

from django import template

register = template.Library()


@register.simple_tag
def accessible_widget(field):
    described = []
    if field.help_text:
        described.append(f"{field.auto_id}_help")
    if field.errors:
        described.append(f"{field.auto_id}_error")
    attrs = {}
    if described:
        attrs["aria-describedby"] = " ".join(described)
    if field.errors:
        attrs["aria-invalid"] = "true"
    return field.as_widget(attrs=attrs)


@register.filter
def category_label(value: str) -> str:
    """A data category's name as people read it (DataCategory label), else the stored key."""
    from requests_app.models import DataCategory

    return DataCategory(value).label if value in DataCategory.values else value


@register.filter
def iso_date(value: str):
    """An ISO date from an exported document, as a date the `date` filter formats."""
    import datetime

    try:
        return datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        return value


# One way to write a date and one to write a moment on the staff pages ("29 november 2026",
# "29 november 2026, 14:05" in local time), in the page's language.
DAY = "j F Y"
MOMENT = "j F Y, H:i"


@register.filter(expects_localtime=True, is_safe=False)
def day(value) -> str:
    from django.template.defaultfilters import date

    return date(value, DAY)


@register.filter(expects_localtime=True, is_safe=False)
def moment(value) -> str:
    from django.template.defaultfilters import date

    return date(value, MOMENT)


@register.filter
def person(user) -> str:
    """A staff member by name, else by role; never the e-mail address."""
    from requests_app.models.request import person_label

    return person_label(user) if user else ""
