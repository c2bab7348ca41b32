"""Rule O5: the buyer's phone is encrypted at rest (Fernet), found by a keyed
hash (HMAC-SHA256, so the hash alone does not reveal the number), and shown
masked (``138****5678``) to anyone without ``orders.view_buyer_contact``.

One number, one form: ``normalize_phone`` parses with ``phonenumbers`` (region
CN), so ``+86 138 1234 5678``, ``+8613812345678``, ``(+86)138-1234-5678`` and
``13812345678`` hash and mask alike. A valid Chinese number keeps its 11-digit
national form (the form the stored hashes were made from), another country's
its E.164 form; what is not a valid number only loses spaces and punctuation.
Every time a person is shown a full phone, ``record_reveal`` writes a
``ContactReveal`` row (who, when, which order or export)."""

from __future__ import annotations

import hashlib
import hmac
import re
from functools import cache, lru_cache

import phonenumbers
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

PHONE_RE = re.compile(r"^\+?\d{6,20}$")
VIEW_CONTACT_PERM = "orders.view_buyer_contact"
DEFAULT_REGION = "CN"


@cache
def _fernet() -> Fernet:
    return Fernet(settings.FIELD_ENCRYPTION_KEY.encode())


@cache
def _hash_key() -> bytes:
    # A separate key for the search hash, derived from the field key.
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"buyer-phone-hash").derive(
        settings.FIELD_ENCRYPTION_KEY.encode()
    )


@lru_cache(maxsize=65536)
def _normalize(phone: str) -> str:
    compact = re.sub(r"[\s\-().]", "", phone)
    if not compact or len(compact) > 32:
        return compact
    try:
        number = phonenumbers.parse(compact, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return compact
    if not phonenumbers.is_valid_number(number):
        return compact
    if number.country_code == phonenumbers.country_code_for_region(DEFAULT_REGION):
        return phonenumbers.national_significant_number(number)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_phone(phone: str) -> str:
    """The canonical form of ``phone`` (see the module docstring)."""
    return _normalize(phone or "")


PHONE_SEARCH_RE = re.compile(r"^\+?\d{6,14}$")


def looks_like_phone(term: str) -> bool:
    """The admin search box's rule: a term that normalises to 6–14 digits is a
    phone (searched by its keyed hash), never a product name."""
    return bool(PHONE_SEARCH_RE.match(normalize_phone((term or "").strip())))


def is_phone(term: str) -> bool:
    """A search term that is a valid phone number (in any of its spellings)."""
    compact = re.sub(r"[\s\-().]", "", term or "")
    if not compact or len(compact) > 32:
        return False
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(compact, DEFAULT_REGION))
    except phonenumbers.NumberParseException:
        return False


def encrypt_phone(phone: str) -> str:
    return _fernet().encrypt(normalize_phone(phone).encode()).decode()


def decrypt_phone(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()


def phone_hash(phone: str) -> str:
    return hmac.new(_hash_key(), normalize_phone(phone).encode(), hashlib.sha256).hexdigest()


def mask_phone(phone: str) -> str:
    phone = normalize_phone(phone)
    if len(phone) <= 7:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[-4:]}"


def can_view_contact(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm(VIEW_CONTACT_PERM))


def phone_for(user, order, *, channel: str = "api") -> str:
    """The phone as ``user`` may see it: in full with the permission (and
    audited), else masked."""
    if can_view_contact(user):
        record_reveal(user=user, order=order, channel=channel)
        return decrypt_phone(order.buyer_phone_encrypted)
    return order.buyer_phone_masked


def record_reveal(*, user, channel: str, order=None, export=None, rows: int = 1) -> None:
    """O5: audit that ``user`` was shown a full phone (of ``order``, or the
    ``rows`` phones of ``export``'s file)."""
    from .models import ContactReveal

    ContactReveal.objects.create(user=user, order=order, export=export, rows=rows, channel=channel)


def record_reveals(*, user, orders, channel: str) -> None:
    """O5: audit that ``user`` was shown the full phones of ``orders`` (one row each)."""
    from django.utils import timezone

    from .models import ContactReveal

    now = timezone.now()
    unique = {order.pk: order for order in orders}
    ContactReveal.objects.bulk_create(
        [ContactReveal(user=user, order=order, channel=channel, revealed_at=now) for order in unique.values()]
    )


# --- redaction (logs, stored filters, error messages) ---------------------------------
# ``phone=…``/``q=…`` in a query string (raw or percent-encoded), and any run of
# digits long enough to be a phone anywhere else in a message.
_QUERY_PII_RE = re.compile(r"(?i)(\b(?:phone|buyer_phone|q|search)=)[^&\s\"']*")
_JSON_PII_RE = re.compile(r"(?i)(['\"](?:phone|buyer_phone|q)['\"]\s*:\s*['\"])[^'\"]*")
_PHONE_RUN_RE = re.compile(r"(?<![\w*])(?:\+|%2B)?(?:\d[\s\-]?){6,14}\d(?!\w)")
REDACTED = "[redacted]"


def _redact_run(match: re.Match) -> str:
    text = match.group(0)
    digits = re.sub(r"\D", "", text)
    # Order numbers are 19 digits; amounts and ids are shorter than a phone.
    if 7 <= len(digits) <= 15 and is_phone(text.replace("%2B", "+")):
        return mask_phone(normalize_phone(text.replace("%2B", "+")))
    return text


def redact(text: str) -> str:
    """``text`` without buyer PII: ``phone=``/``q=`` values are replaced and any
    phone number is masked. For log lines, stored errors and query strings."""
    if not text:
        return text
    text = _QUERY_PII_RE.sub(lambda m: m.group(1) + REDACTED, text)
    text = _JSON_PII_RE.sub(lambda m: m.group(1) + REDACTED, text)
    return _PHONE_RUN_RE.sub(_redact_run, text)
