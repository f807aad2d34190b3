"""The flow editor: admins change texts, the menu, the lexicon and the catalog as versioned drafts, check
and try them, publish and roll back (the running service follows the database: bot/flowconfig.py)."""

from __future__ import annotations

from dataclasses import replace

from bot.console.pages import ConsolePages
from bot.editor import cli, lexicon_pages, menu_pages, pages, procedure_pages, teach_pages, verify_pages
from bot.feature import Feature

# joined() keeps no templates folder: every module's templates are in pages.py's folder.
CONSOLE = replace(ConsolePages.joined(pages.PAGES, menu_pages.PAGES, procedure_pages.PAGES, lexicon_pages.PAGES,
                                      teach_pages.PAGES, verify_pages.PAGES),
                  templates=pages.PAGES.templates)

EDITOR = Feature("editor", commands=tuple(cli.COMMANDS), console=CONSOLE, add_routes=pages.add_trial)
