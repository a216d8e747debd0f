"""Public request references: short, readable aloud, unguessable.

Ten characters from a 30-letter alphabet without look-alikes (no 0, 1, I, L, O or U) give about
49 bits: guessing one is hopeless, and a patient can read it over the phone.
"""

import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
GROUP = 5


def new_reference() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(2 * GROUP))
    return f"{raw[:GROUP]}-{raw[GROUP:]}"


def normalise_reference(value: str) -> str:
    compact = "".join(c for c in (value or "").upper() if c.isalnum())
    return f"{compact[:GROUP]}-{compact[GROUP:]}" if len(compact) == 2 * GROUP else value
