"""Rule O5: the buyer's phone is encrypted at rest (Fernet), found by a keyed
hash (HMAC-SHA256, so the hash alone does not reveal the number), and shown
masked (``138****5678``) to anyone without ``orders.view_buyer_contact``."""

from __future__ import annotations

import hashlib
import hmac
import re
from functools import cache

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

PHONE_RE = re.compile(r"^\+?\d{6,20}$")
VIEW_CONTACT_PERM = "orders.view_buyer_contact"


@cache
def _fernet() -> Fernet:
    return Fernet(settings.FIELD_ENCRYPTION_KEY.encode())


@cache
def _hash_key() -> bytes:
    # A separate key for the search hash, derived from the field key.
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"buyer-phone-hash").derive(
        settings.FIELD_ENCRYPTION_KEY.encode()
    )


def normalize_phone(phone: str) -> str:
    return re.sub(r"[\s\-()]", "", phone or "")


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


def phone_for(user, order) -> str:
    """The phone as ``user`` may see it: in full with the permission, else masked."""
    if can_view_contact(user):
        return decrypt_phone(order.buyer_phone_encrypted)
    return order.buyer_phone_masked
