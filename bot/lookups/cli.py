"""`python -m bot import dossiers|id-cards FILE` and `python -m bot privacy purge`.

Import exit codes: 0 every row stored (or unchanged), 1 some rows rejected (the valid ones are stored),
2 the file or configuration is unusable and nothing was stored.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.cli import EXIT_FAILED, EXIT_OK, Command, UsageError, migrated_engine
from bot.config import AppConfig

KINDS = {"dossiers": "dossier", "id-cards": "id_card"}


async def _import(config: AppConfig, args: argparse.Namespace) -> int:
    from bot.flowconfig import running_services
    from bot.lookups.checking import check_file
    from bot.lookups.files import FileProblem
    from bot.lookups.sync import store_records
    from flows.lookups.hashing import hasher_for

    kind = KINDS[args.kind]
    if hasher_for(config.privacy.hash_key) is None:
        raise UsageError(["privacy.hash_key is not set (set MOTCUA_PRIVACY__HASH_KEY): records cannot be "
                          "stored without hashing their personal values"])
    path = Path(args.file)
    try:
        checked = check_file(config.imports, kind, path)
    except FileProblem as e:
        raise UsageError([str(e)]) from None
    async with migrated_engine(config) as engine:
        services, _ = await running_services(config, engine, args.clock)
        async with engine.begin() as conn:
            report = await store_records(conn, kind, [r for _, r in checked.valid], services, f"import:{path.name}",
                                         args.clock())
    for row, first in checked.duplicates:
        print(f"row {row}: same as row {first}, skipped")
    for line in checked.problem_lines():
        print(line, file=sys.stderr)
    print(f"{args.kind}: {len(checked.rows)} rows read: {report.inserted} new, {report.updated} updated, "
          f"{report.unchanged} unchanged, {len(checked.duplicates)} duplicates skipped, {checked.rejected} "
          f"rejected; {report.notified} notifications queued")
    return EXIT_FAILED if checked.problems else EXIT_OK


async def _privacy(config: AppConfig, args: argparse.Namespace) -> int:
    from bot.retention import purge_expired

    async with migrated_engine(config) as engine:
        counts = await purge_expired(engine, config.privacy, Path(config.broadcasts.csv_dir), args.clock())
    print(f"purged {counts['dossier']} dossiers and {counts['id_card']} căn cước results finished more than "
          f"{config.privacy.record_retention_days} days ago, and {counts['audit']} audit rows older than "
          f"{config.privacy.audit_retention_days} days; {counts['inbox']} messages, {counts['replies']} replies "
          f"and {counts['unanswered']} unanswered questions older than "
          f"{config.privacy.conversation_retention_days} days; {counts['broadcast_runs']} broadcast runs "
          f"finished more than {config.privacy.broadcast_retention_days} days ago reduced to their counts; "
          f"{counts['exports']} unreachable-household CSV files older than {config.privacy.export_retention_days} "
          f"days")
    return EXIT_OK


def _import_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("kind", choices=list(KINDS), help="what the file holds")
    p.add_argument("file", help="a .csv (UTF-8) or .xlsx export; headers are mapped in [imports]")


def _privacy_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("privacy_command", choices=["purge"],
                   help="purge: delete lookup records and audit rows past their retention period")


COMMANDS = [
    Command("import", "load dossiers or căn cước results from a one-stop or police export", _import_args, _import),
    Command("privacy", "personal data kept for lookups", _privacy_args, _privacy),
]
