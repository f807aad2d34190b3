"""Keyed hashing of personal values (số định danh, date of birth, phone digits, user ids).

HMAC-SHA256 with a secret key rather than a plain hash: a số định danh, a date of birth or four phone
digits have so few possible values that an unkeyed hash is reversed by trying them all.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date


class KeyedHasher:
    def __init__(self, key: str) -> None:
        self._key = key.encode()

    def digest(self, purpose: str, value: str) -> str:
        # The purpose keeps equal strings of different kinds (a code, a user id) from sharing a hash.
        return hmac.new(self._key, f"{purpose}\x1f{value}".encode(), hashlib.sha256).hexdigest()

    def id_number(self, digits: str) -> str:
        return self.digest("id", digits)

    def birth_date(self, d: date) -> str:
        return self.digest("dob", d.isoformat())

    def phone_tail(self, last4: str) -> str:
        return self.digest("phone4", last4)

    def receipt(self, receipt_no: str) -> str:
        return self.digest("receipt", receipt_no)

    def dossier_code(self, code: str) -> str:
        return self.digest("dossier", code)

    def user(self, zalo_user_id: str) -> str:
        return self.digest("user", zalo_user_id)

    @staticmethod
    def same(a: str, b: str) -> bool:
        return hmac.compare_digest(a, b)


def hasher_for(hash_key: str) -> KeyedHasher | None:
    """None when no key is configured: lookups, imports and the push API then stay off."""
    return KeyedHasher(hash_key) if hash_key else None
