"""`python -m bot flows export|import|publish|rollback|status`: the flow configuration as TOML files.

    python -m bot flows export ./flows-now      # the active version of every file
    python -m bot flows import ./flows-now      # a draft of every changed file (checked; see the console)
    python -m bot flows publish                 # publish the drafts
    python -m bot flows rollback texts.toml 3   # publish a copy of version 3
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.cli import EXIT_OK, EXIT_USAGE, Command, UsageError, config_option, migrated_engine
from bot.config import AppConfig

CLI_ACTOR = "cli"


async def _flows(config: AppConfig, args: argparse.Namespace) -> int:
    from bot.editor import drafts
    from bot.errors import InvalidInput, NotFound
    from bot.flowconfig import running_services

    async with migrated_engine(config) as engine:
        await running_services(config, engine, args.clock)  # seeds version 1 on a new database
        if args.flows_command == "export":
            names = await drafts.export(engine, Path(args.dir))
            print(f"{len(names)} files written to {args.dir}")
            return EXIT_OK
        if args.flows_command == "import":
            try:
                changed, problems = await drafts.import_folder(engine, config, Path(args.dir), CLI_ACTOR, args.clock())
            except InvalidInput as e:
                raise UsageError(e.problems) from None
            print(f"draft saved for {', '.join(changed)}" if changed else "no file differs from the active version")
            for line in problems:
                print(f"flows: {line}", file=sys.stderr)
            if problems:
                print("the draft cannot be published until these are fixed", file=sys.stderr)
            return EXIT_USAGE if problems else EXIT_OK
        try:
            if args.flows_command == "publish":
                outcome = await drafts.publish(engine, config, CLI_ACTOR, args.clock())
                print("published" if outcome == "published" else "waiting for a second person's approval")
                return EXIT_OK
            if args.flows_command == "rollback":
                number = await drafts.rollback(engine, config, args.kind, args.version, CLI_ACTOR, args.clock())
                print(f"{args.kind}: version {number} published, a copy of version {args.version}")
                return EXIT_OK
        except InvalidInput as e:
            raise UsageError(e.problems) from None
        except NotFound as e:
            raise UsageError([str(e)]) from None
        ws = await drafts.workspace(engine, config)
        for kind, number in sorted(ws.numbers.items()):
            print(f"{kind}\tv{number}")
        for d in ws.drafts:
            print(f"draft\t{d.kind}\tv{d.number}\t{d.status}\tby {d.author}" + ("\tstale: rebase" if d.stale else ""))
        return EXIT_OK


def _flows_args(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="flows_command", required=True)
    e = sub.add_parser("export", help="write the active version of every file into DIR", parents=[config_option()])
    e.add_argument("dir")
    i = sub.add_parser("import", help="make a draft of every file in DIR that differs", parents=[config_option()])
    i.add_argument("dir")
    sub.add_parser("publish", help="publish the open drafts (checked first)", parents=[config_option()])
    r = sub.add_parser("rollback", help="publish a copy of an old version", parents=[config_option()])
    r.add_argument("kind", help="the file, e.g. texts.toml")
    r.add_argument("version", type=int)
    sub.add_parser("status", help="active versions and open drafts", parents=[config_option()])


COMMANDS = [Command("flows", "the flow configuration (texts, menu, lexicon, catalog) as files", _flows_args, _flows)]
