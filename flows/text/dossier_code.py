"""Dossier codes in free text: a resident may type one anywhere, in any conversation."""

from __future__ import annotations

import re

# "...-YYMMDD-NNNN" with an agency prefix such as 000.31.25.H47 or H57.132; spaces and dash variants
# tolerated anywhere between the parts.
_DASH = r"\s*[-–—_]\s*"
_CODE = re.compile(r"(?<![\w.])([a-z0-9]+(?:\s*\.\s*[a-z0-9]+)*)" + _DASH + r"(\d{6})" + _DASH + r"(\d{4})(?!\d)",
                   re.IGNORECASE)


def find_dossier_code(text: str) -> str | None:
    """The first dossier code in free text, normalised (upper case, no spaces), or None."""
    m = _CODE.search(text)
    if m is None:
        return None
    prefix = re.sub(r"\s+", "", m.group(1)).upper()
    return f"{prefix}-{m.group(2)}-{m.group(3)}"
