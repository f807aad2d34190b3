"""Dossier and căn cước lookups: records imported or pushed by integrations, looked up by residents."""

from __future__ import annotations

from bot.feature import Feature
from bot.lookups import api, cli, pages
from flows.lookups.dossier import DOSSIER
from flows.lookups.idcard import IDCARD
from storage.lookups.drafts import ImportDraft
from storage.lookups.models import Dossier, IdCardResult, LookupAudit, LookupOptIn

LOOKUPS = Feature(
    "lookups",
    flows=(DOSSIER, IDCARD),
    intents={"dossier_lookup": "#dossier:start", "id_card_lookup": "#idcard:start"},
    add_routes=api.add_routes,
    console=pages.PAGES,
    commands=tuple(cli.COMMANDS),
    config_sections=("privacy", "imports"),
    tables=(Dossier, IdCardResult, LookupOptIn, LookupAudit, ImportDraft),
)
