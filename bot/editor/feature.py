"""The flow editor: admins change texts, the menu, the lexicon and the catalog as versioned drafts, check
and try them, publish and roll back (the running service follows the database: bot/flowconfig.py)."""

from __future__ import annotations

from bot.editor import cli, pages
from bot.feature import Feature

EDITOR = Feature("editor", commands=tuple(cli.COMMANDS), console=pages.PAGES, add_routes=pages.add_trial)
