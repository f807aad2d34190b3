"""What each role may do in the console. A thôn team sees only its own thôn's households and sends."""

from __future__ import annotations

from bot.console.config import ROLES

EVERYONE = frozenset(ROLES)
PERMISSIONS: dict[str, frozenset[str]] = {
    "dashboard": EVERYONE,
    "news.view": frozenset({"admin", "editor", "approver", "desk", "auditor"}),
    "news.edit": frozenset({"admin", "editor"}),
    "announcements.view": EVERYONE,
    "announcements.create": frozenset({"admin", "editor", "thon_team"}),
    "announcements.approve": frozenset({"admin", "approver"}),
    "announcements.cancel": frozenset({"admin", "editor", "approver"}),
    "announcements.unreachable": frozenset({"admin", "thon_team"}),  # names and phones, for other channels
    "audit.view": frozenset({"admin", "auditor"}),
    "users.view": frozenset({"admin"}),
}
ROLE_NAMES = {"admin": "Quản trị", "editor": "Biên tập", "approver": "Phê duyệt", "desk": "Cán bộ một cửa",
              "thon_team": "Tổ công nghệ số thôn", "auditor": "Kiểm tra"}
WHOLE_COMMUNE = frozenset({"admin", "editor", "approver", "desk", "auditor"})


def allowed(roles: list[str] | tuple[str, ...], permission: str) -> bool:
    return any(r in PERMISSIONS[permission] for r in roles)


def thon_scope(roles: list[str] | tuple[str, ...], thon: list[str] | tuple[str, ...]) -> frozenset[str] | None:
    """None: the whole commune. Otherwise the thôn a thôn-team-only member may see."""
    if any(r in WHOLE_COMMUNE for r in roles):
        return None
    return frozenset(thon)
