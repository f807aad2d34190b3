"""Procedures: residents ask how to do a procedure and get its card from the catalog."""

from __future__ import annotations

from bot.feature import Feature
from flows.procedures.flow import PROCEDURES as PROCEDURES_FLOW

PROCEDURES = Feature(
    "procedures",
    flows=(PROCEDURES_FLOW,),
    intents={"procedure": "#proc:ask", "browse": "#proc:browse"},
)
