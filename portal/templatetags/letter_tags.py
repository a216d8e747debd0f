"""The letters of a request, for the lists on the patient's page and the staff request page."""

from django import template

from workflows.casework import letters

register = template.Library()


@register.simple_tag
def letters_of(item) -> list[letters.Letter]:
    return letters.letters_of(item)
