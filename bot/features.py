"""Every feature of the service, one line each. Adding a feature: its packages, then a line here."""

from __future__ import annotations

from bot.broadcasts.feature import BROADCASTS
from bot.console.feature import CONSOLE
from bot.editor.feature import EDITOR
from bot.feature import Feature
from bot.lookups.feature import LOOKUPS
from bot.procedures.feature import PROCEDURES
from flows.handoff import HANDOFF
from flows.info import INFO
from flows.language import LANGUAGE
from flows.menu import MENU
from flows.privacy import PRIVACY

# The conversations every service has: the menu, the language switch, office information, handoff to
# staff, erasure.
CORE = Feature(
    "core",
    flows=(MENU, LANGUAGE, HANDOFF, INFO, PRIVACY),
    intents={"wednesday_info": "#info:wednesday", "contact": "#info:contact", "handoff": "#handoff:start",
             "greeting": "#menu:show"},
)

FEATURES: tuple[Feature, ...] = (
    CORE,
    PROCEDURES,
    LOOKUPS,
    BROADCASTS,
    CONSOLE,
    EDITOR,
)
