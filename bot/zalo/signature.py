"""Webhook signature (`X-ZEvent-Signature: mac=<hex>`).

Zalo signs with plain SHA-256 (not HMAC) over `id + raw_body + timestamp + oa_secret_key`.
Sources disagree whether the id is the app_id or the oa_id, so callers pass every accepted
variant and we compare against each in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

_HEX = frozenset("0123456789abcdef")


def compute_signature(id_value: str, raw_body: bytes, timestamp: str, secret: str) -> str:
    """Lowercase hex SHA-256 of `id_value + raw_body + timestamp + secret` (the body as received)."""
    h = hashlib.sha256(id_value.encode())
    h.update(raw_body)
    h.update(timestamp.encode())
    h.update(secret.encode())
    return h.hexdigest()


def sign_header(id_value: str, raw_body: bytes, timestamp: str, secret: str) -> str:
    """The header value Zalo would send: `mac=<hex>`."""
    return "mac=" + compute_signature(id_value, raw_body, timestamp, secret)


def _parse_header(header_value: str | None) -> str | None:
    if not header_value:
        return None
    value = header_value.strip().lower()
    if value.startswith("mac="):
        value = value[4:].strip()
    if len(value) != 64 or not _HEX.issuperset(value):
        return None
    return value


def verify_signature(raw_body: bytes, header_value: str | None, timestamp: str, secret: str,
                     id_values: Sequence[str]) -> bool:
    """True when the header matches the signature for any of `id_values` (e.g. `[app_id, oa_id]`).

    Accepts `mac=<hex>` (any case, surrounding spaces) or bare hex. A missing or garbled header,
    an empty secret or no id variants all give False.
    """
    given = _parse_header(header_value)
    if given is None or not secret:
        return False
    matched = False
    # No early exit: every variant costs the same, whichever one matches.
    for id_value in id_values:
        expected = compute_signature(id_value, raw_body, timestamp, secret)
        matched |= hmac.compare_digest(expected, given)
    return matched
