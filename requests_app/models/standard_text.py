"""A practice's standard texts: messages a handler picks when writing to the patient, and the
practice's own paragraphs in letters where the law leaves room (an opening, a closing).

A letter paragraph never replaces what the law makes a letter say: it stands before or after the
letter's body (templates/letters/frame.html), which is always printed whole. Letters are drawn
from the history whenever they are shown, so each change of a text is kept as a version: a letter
shows the paragraph as it stood on the day of its step, and a later change or removal leaves the
letters already sent as they were. Filling the placeholders: workflows.casework.standard_texts.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from requests_app.models.practice import Practice


class TextKind(models.TextChoices):
    MESSAGE = "message", _("Message to the patient")
    LETTER = "letter", _("Paragraph in letters")


class LetterSlot(models.TextChoices):
    OPENING = "opening", _("Opening: after the salutation, before what the law requires")
    CLOSING = "closing", _("Closing: after what the law requires, before the signature")


class StandardText(models.Model):
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="standard_texts")
    kind = models.CharField(_("kind"), max_length=10, choices=TextKind.choices)
    # The name staff pick it by; never shown to the patient.
    title = models.CharField(_("name"), max_length=120)
    # Letter paragraphs: which letter ("" for every letter; else a name of
    # workflows.casework.letters.LETTERS) and where in it. Fixed once made, so that the versions
    # of one place in the letters are those of one text.
    letter = models.CharField(_("letter"), max_length=40, blank=True)
    slot = models.CharField(_("place"), max_length=10, choices=LetterSlot.choices, blank=True)
    text_nl = models.TextField(_("text in Dutch"), max_length=5000)
    text_en = models.TextField(_("text in English"), max_length=5000, blank=True)
    # The product's default it was adopted from (workflows.casework.standard_texts.DEFAULTS).
    origin = models.CharField(max_length=40, blank=True)
    active = models.BooleanField(default=True)
    changed_at = models.DateTimeField(_("changed"), default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["kind", "title", "pk"]
        verbose_name = _("standard text")
        verbose_name_plural = _("standard texts")
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "title"],
                condition=Q(active=True),
                name="standard_text_unique_title",
            ),
            models.UniqueConstraint(
                fields=["practice", "letter", "slot"],
                condition=Q(active=True, kind="letter"),
                name="standard_text_one_paragraph_per_place",
            ),
            models.CheckConstraint(
                condition=Q(kind="message", letter="", slot="")
                | Q(kind="letter", slot__in=["opening", "closing"]),
                name="standard_text_place_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def text_in(self, language: str) -> str:
        """The text in the patient's language: English when there is one, Dutch otherwise."""
        return text_in(self.text_nl, self.text_en, language)


class StandardTextVersion(models.Model):
    """What the text said from `at` on; a removal is a version that is not active."""

    text = models.ForeignKey(StandardText, on_delete=models.CASCADE, related_name="versions")
    text_nl = models.TextField(max_length=5000)
    text_en = models.TextField(max_length=5000, blank=True)
    active = models.BooleanField(default=True)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["text", "at"])]

    def __str__(self) -> str:
        return f"{self.text_id} @ {self.at:%Y-%m-%d %H:%M}"

    def text_in(self, language: str) -> str:
        return text_in(self.text_nl, self.text_en, language)


def text_in(dutch: str, english: str, language: str) -> str:
    return english if language == "en" and english.strip() else dutch
