"""The staff console: sign-in with roles, sessions, CSRF, the audit log and the dashboard's frame, in which
every feature serves its own pages (bot/app.py mounts it at /console with the features' pages)."""

from __future__ import annotations

from bot.console import cli
from bot.feature import Feature
from storage.console.models import ConsoleAudit, ConsoleLoginAttempt, ConsoleSession, ConsoleUser

CONSOLE = Feature(
    "console",
    commands=tuple(cli.COMMANDS),
    config_sections=("console",),
    tables=(ConsoleUser, ConsoleSession, ConsoleLoginAttempt, ConsoleAudit),
)
