"""`[console]`: the staff console's sign-in and session settings."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["admin", "editor", "approver", "desk", "thon_team", "auditor"]
ROLES: tuple[str, ...] = ("admin", "editor", "approver", "desk", "thon_team", "auditor")


class ConsoleConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    # Roles that must sign in with a TOTP code (an authenticator app) after the password.
    require_totp_for: list[Role] = ["admin"]
    session_idle_minutes: int = Field(30, ge=1)
    session_absolute_hours: int = Field(12, ge=1)
    # Failed sign-ins: this many in the window lock the name (and, at ip_max_failures, the address).
    max_failures: int = Field(5, ge=1)
    ip_max_failures: int = Field(20, ge=1)
    lockout_minutes: int = Field(15, ge=1)
    # Processes hashing passwords at once (each takes argon2's 64 MiB while it hashes); more sign-ins wait.
    hash_workers: int = Field(2, ge=1)
    # A flow configuration change is published only after a second person approves it.
    flow_approval_required: bool = False
