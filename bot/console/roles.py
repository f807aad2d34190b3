"""Roles and what each may do in the console's frame (features declare their own permissions in their
ConsolePages). A thôn team sees only its own thôn's households and sends."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bot.console.config import ROLES

EVERYONE = frozenset(ROLES)
FRAME_PERMISSIONS: dict[str, frozenset[str]] = {
    "dashboard": EVERYONE,
    "audit.view": frozenset({"admin", "auditor"}),
    "users.manage": frozenset({"admin"}),
}
ROLE_NAMES = {"admin": "Quản trị", "editor": "Biên tập", "approver": "Phê duyệt", "desk": "Cán bộ một cửa",
              "thon_team": "Tổ công nghệ số thôn", "auditor": "Kiểm tra"}
WHOLE_COMMUNE = frozenset({"admin", "editor", "approver", "desk", "auditor"})


def permission_table(declared: Iterable[Mapping[str, frozenset[str]]]) -> dict[str, frozenset[str]]:
    """The frame's permissions and every feature's; a name declared twice or a role that does not exist is
    a mistake caught at start-up."""
    table = dict(FRAME_PERMISSIONS)
    for permissions in declared:
        for name, holders in permissions.items():
            if name in table:
                raise ValueError(f"console permission {name!r} is declared twice")
            if not holders <= EVERYONE:
                raise ValueError(f"console permission {name!r}: unknown roles {sorted(holders - EVERYONE)}")
            table[name] = holders
    return table


def thon_scope(roles: list[str] | tuple[str, ...], thon: list[str] | tuple[str, ...]) -> frozenset[str] | None:
    """None: the whole commune. Otherwise the thôn a thôn-team-only member may see."""
    if any(r in WHOLE_COMMUNE for r in roles):
        return None
    return frozenset(thon)
