"""The practice's documents block on the request page (templates/staff/_practice_documents.html)
gets what it shows from here, so the request page's view needs no change for it."""

from django import template

from portal.forms.practice_documents import PracticeDocumentForm
from workflows.assistance.packages.documents import TYPE_LABELS, panel

register = template.Library()


@register.simple_tag(takes_context=True)
def answer_documents(context, item) -> dict:
    return {"panel": panel(item, context["request"].user), "form": PracticeDocumentForm()}


@register.filter
def document_type(content_type: str) -> str:
    return str(TYPE_LABELS.get(content_type, content_type))
