"""Validation rules for what patients and practices give us, with errors in plain words."""

import datetime
import re
import unicodedata

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# ASCII digits only, the whole value: "\d" alone also takes fullwidth and Arabic-Indic digits
# (a look-alike AGB code), and "$" a trailing newline.
AGB_RE = re.compile(r"\d{8}", re.ASCII)
POSTCODE_RE = re.compile(r"[1-9]\d{3} ?[A-Z]{2}", re.ASCII)


def validate_agb_code(value: str) -> None:
    if not AGB_RE.fullmatch(value or ""):
        raise ValidationError(_("An AGB code has exactly 8 digits."), code="agb")


def normalise_postcode(value: str) -> str:
    compact = (value or "").upper().replace(" ", "")
    return f"{compact[:4]} {compact[4:]}" if len(compact) == 6 else value


def validate_postcode(value: str) -> None:
    if not POSTCODE_RE.fullmatch(value or ""):
        raise ValidationError(_("Enter a Dutch postcode such as 3511 AB."), code="postcode")


def is_valid_bsn(value: str) -> bool:
    """The BSN 11-test: 9 digits, weights 9..2 and -1, sum divisible by 11."""
    if not re.fullmatch(r"\d{9}", value or ""):
        return False
    digits = [int(c) for c in value]
    total = sum(d * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True)) - digits[8]
    return total % 11 == 0 and value != "000000000"


def validate_bsn(value: str) -> None:
    if not is_valid_bsn(value):
        raise ValidationError(_("This is not a valid citizen service number (BSN)."), code="bsn")


def mask_bsn(value: str) -> str:
    """Show only the last three digits: enough to compare, too little to misuse."""
    return f"******{value[-3:]}" if value else ""


def normalise_phone(value: str) -> str:
    """Parse a Dutch or international number into E.164, or raise ValidationError."""
    try:
        number = phonenumbers.parse(value, "NL")
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(_("Enter a phone number such as 06 12345678."), code="phone") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(_("Enter a phone number such as 06 12345678."), code="phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def validate_birth_date(value: datetime.date) -> None:
    today = timezone.localdate()
    if value > today:
        raise ValidationError(_("A date of birth cannot be in the future."), code="future")
    if value.year < 1900:
        raise ValidationError(_("Enter a date of birth after 1900."), code="too_old")


# An ASCII local part, as nearly every mailbox has: look-alike letters there (dotless ı, long ſ,
# the Kelvin sign) would otherwise pass Django's case-insensitive check and fold onto ASCII in
# PostgreSQL's UPPER(), so that two mailboxes shared one patient's requests.
LOCAL_PART_RE = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")


def canonical_email(value: str) -> str:
    """The one form in which an address is stored and compared: the local part ASCII and
    lower-cased, the domain in its IDNA (punycode) form as mail servers resolve it. Two
    addresses are the same mailbox for this portal only when these forms are equal."""
    import idna

    local, at, domain = (value or "").strip().rpartition("@")
    invalid = ValidationError(_("Enter a valid e-mail address."), code="email")
    if not at or not local or not domain or len(local) > 64:
        raise invalid
    if not LOCAL_PART_RE.match(local):
        raise ValidationError(
            _(
                "Use an e-mail address with only plain letters, digits and . _ - + "
                "before the @ sign."
            ),
            code="email_local_part",
        )
    try:
        ascii_domain = idna.encode(domain.rstrip("."), uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError) as exc:
        raise invalid from exc
    canonical = f"{local.lower()}@{ascii_domain.lower()}"
    if len(canonical) > 254 or "." not in ascii_domain:
        raise invalid
    return canonical


def same_email(a: str, b: str) -> bool:
    """Exact equality of canonical forms; an address that has none matches nothing."""
    try:
        return canonical_email(a) == canonical_email(b)
    except ValidationError:
        return False


# Characters that show nothing or turn the text around them: format characters (category Cf:
# bidirectional overrides and isolates, zero-width spaces and joiners, the byte-order mark,
# word joiners, tag characters), control characters other than white space, surrogates,
# private-use and unassigned code points, and the few letters and marks that render blank.
HIDDEN_CATEGORIES = frozenset({"Cf", "Cc", "Cs", "Co", "Cn"})
BLANK_LOOKALIKES = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u3164\uffa0")


def hidden_characters(value: str) -> list[str]:
    """The characters in `value` a reader would not see as written (white space aside)."""
    return [
        ch
        for ch in value
        if ch in BLANK_LOOKALIKES
        or (unicodedata.category(ch) in HIDDEN_CATEGORIES and not ch.isspace())
    ]


def _refuse_hidden(value: str, message) -> None:
    found = hidden_characters(value or "")
    if found:
        raise ValidationError(
            message,
            code="hidden_characters",
            params={"codes": ", ".join(sorted({f"U+{ord(ch):04X}" for ch in found}))},
        )


# A patient without an e-mail address (who wrote, phoned or came to the desk) is keyed by an
# address in a domain that never resolves (RFC 6761: ".invalid"), one per request, so every rule
# that finds a patient's records by address (their access log, their package, retention) finds
# this request alone and never another patient without an address. Nothing is ever sent there.
NO_MAILBOX_DOMAIN = "no-email.invalid"


def no_mailbox_address() -> str:
    import secrets

    return f"post-{secrets.token_hex(12)}@{NO_MAILBOX_DOMAIN}"


def has_mailbox(address: str) -> bool:
    return bool(address) and not address.endswith(f"@{NO_MAILBOX_DOMAIN}")


def validate_person_name(value: str) -> None:
    """A name staff read and compare must look as it is stored: "Jan Jansen" written with a
    right-to-left override shows reversed, and a zero-width space makes two names look alike."""
    _refuse_hidden(
        value,
        _(
            "A name cannot contain invisible characters or characters that change the "
            "direction of the text (found: %(codes)s)."
        ),
    )


def validate_visible_code(value: str) -> None:
    """A number staff compare with their own system (the patient number) must read as stored."""
    _refuse_hidden(
        value,
        _(
            "This cannot contain invisible characters or characters that change the "
            "direction of the text (found: %(codes)s)."
        ),
    )


# Direction overrides and isolates turn the text after them around; in free text nothing needs
# them (zero-width joiners stay allowed: emoji sequences use them).
DIRECTION_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def validate_text_direction(value: str) -> None:
    if any(ch in DIRECTION_CONTROLS for ch in value or ""):
        raise ValidationError(
            _("The text cannot contain characters that change its direction."),
            code="direction_controls",
        )


# PostgreSQL text cannot hold NUL, and a lone surrogate cannot be encoded as UTF-8.
UNSTORABLE_RE = re.compile(r"[\x00\ud800-\udfff]")


def is_storable(value: str) -> bool:
    return UNSTORABLE_RE.search(value) is None


# --- Webhook addresses ---------------------------------------------------------------------------
# A client's webhook is posted to from inside the processor's network, so in production its
# address must lead to the public internet (else a client could make the portal call its own
# database or a cloud metadata service: SSRF). WEBHOOK_ALLOW_LOCAL (development and tests) lets it
# be http:// and on this machine or network.
WEBHOOK_URL_MAX_LENGTH = 500
# A host written as a number in another form than four dotted decimals (2130706433, 0x7f.1,
# 017700000001, 127.1): resolvers read these as addresses, and a reader would not.
NUMERIC_HOST_RE = re.compile(r"(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+))*\.?", re.ASCII | re.I)


# Special-purpose blocks (IANA's registries) that never lead to the public internet but that
# Python's ipaddress calls global in some versions (3.11 before 3.11.10: 192.0.0.0/24, where a
# cloud's metadata service lived), or that Linux routes in its own site (site-local, local NAT64,
# IPv4-translated and IPv4-compatible IPv6).
NOT_PUBLIC_NETWORKS = (
    "192.0.0.0/24",
    "fec0::/10",
    "64:ff9b:1::/48",
    "::ffff:0:0:0/96",
    "::/96",
)


def is_public_address(address: str) -> bool:
    """Whether the IP address is one on the public internet: not private, loopback, link-local,
    reserved, multicast or unspecified, also when it is an IPv4 address carried in an IPv6 one.
    The one rule for webhook addresses, when one is set and each time one is posted to."""
    import ipaddress

    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # without an IPv6 zone
    except ValueError:
        return False
    embedded = []
    if ip.version == 6:
        embedded = [ip.ipv4_mapped, ip.sixtofour, ip.teredo[1] if ip.teredo else None]
    return all(_public(found) for found in [ip, *embedded] if found is not None)


def _public(ip) -> bool:
    import ipaddress

    if any(ip in ipaddress.ip_network(block) for block in NOT_PUBLIC_NETWORKS):
        return False
    return ip.is_global and not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
    )


def resolve_host(host: str, port: int) -> list[str]:
    """The addresses a host name resolves to (an IP address: itself); [] when it resolves to
    none."""
    import socket

    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    return sorted({info[4][0] for info in found})


def validate_webhook_url(value: str, *, allow_local: bool | None = None) -> None:
    """An address events may be posted to: http(s), no user name or password in it, at most
    WEBHOOK_URL_MAX_LENGTH characters, no spaces or control characters; unless `allow_local`
    (default: the setting WEBHOOK_ALLOW_LOCAL) also https only, and its host must resolve to
    public addresses only (every one of them: a name may have several)."""
    from urllib.parse import urlsplit

    from django.conf import settings
    from django.core.validators import URLValidator

    if allow_local is None:
        allow_local = settings.WEBHOOK_ALLOW_LOCAL
    value = value or ""
    if len(value) > WEBHOOK_URL_MAX_LENGTH:
        raise ValidationError(
            _("The address is longer than %(max)s characters."),
            code="max_length",
            params={"max": WEBHOOK_URL_MAX_LENGTH},
        )
    if any(ch.isspace() for ch in value) or hidden_characters(value) or not is_storable(value):
        raise ValidationError(
            _("The address cannot contain spaces, control characters or invisible characters."),
            code="characters",
        )
    invalid = ValidationError(
        _("Enter a complete web address, such as https://app.example.nl/webhooks/portal."),
        code="invalid",
    )
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:  # a port that is no number, or a broken IPv6 address
        raise invalid from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise invalid
    if "@" in parts.netloc:
        raise ValidationError(
            _(
                "The address cannot contain a user name or password: the events are signed "
                "with the client's secret instead."
            ),
            code="credentials",
        )
    if scheme != "https" and not allow_local:
        raise ValidationError(
            _("The address must start with https:// (events are sent encrypted only)."),
            code="https",
        )
    host = parts.hostname  # lower-cased, without the brackets of an IPv6 address
    if NUMERIC_HOST_RE.fullmatch(host) and not _dotted_quad(host):
        raise ValidationError(
            _("Write an IP address as four numbers with dots, such as 192.0.2.10."),
            code="numeric_host",
        )
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError as exc:
        raise invalid from exc
    if allow_local:
        return
    addresses = resolve_host(host, port or 443)
    if not addresses:
        raise ValidationError(
            _("The host %(host)s cannot be found (it does not resolve to an IP address)."),
            code="unresolved",
            params={"host": host},
        )
    if not all(is_public_address(address) for address in addresses):
        raise ValidationError(
            _(
                "The host %(host)s leads to a private, local or reserved network address: "
                "events are only sent to addresses on the public internet."
            ),
            code="not_public",
            params={"host": host},
        )


def _dotted_quad(host: str) -> bool:
    import ipaddress

    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        return False
    return True
