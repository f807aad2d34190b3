"""The staff console: sign-in with roles, sessions, CSRF, the audit log and the dashboard's frame, in which
every feature serves its own pages (bot/app.py mounts it at /console with the features' pages)."""

from __future__ import annotations

from bot.console import cli, handoffs, zalo_connection
from bot.console.handoff_cases import CaseSync
from bot.console.pages import ConsolePages
from bot.feature import Feature, RuntimeParts
from storage.console.handoff_models import HandoffCase, HandoffNote
from storage.console.models import ConsoleAudit, ConsoleLoginAttempt, ConsoleSession, ConsoleUser


def start_case_sync(parts: RuntimeParts) -> CaseSync:
    return CaseSync(parts.engine, parts.clock)


CONSOLE = Feature(
    "console",
    commands=tuple(cli.COMMANDS),
    # The handoff inbox and the Zalo connection (the frame's own pages are mounted by bot/console/app.py).
    console=ConsolePages.joined(handoffs.PAGES, zalo_connection.PAGES),
    background=start_case_sync,
    config_sections=("console",),
    tables=(ConsoleUser, ConsoleSession, ConsoleLoginAttempt, ConsoleAudit, HandoffCase, HandoffNote),
)
