"""`python -m bot users add|list|disable|enable|reset`: staff accounts for the console.

    echo "$PASSWORD" | python -m bot users add lan --role editor --role approver --password-stdin
    echo "$PASSWORD" | python -m bot users add to-vong-nhi --role thon_team --thon vong-nhi --password-stdin
"""

from __future__ import annotations

import argparse
import sys

from bot.cli import EXIT_OK, Command, UsageError, config_option, migrated_engine
from bot.config import AppConfig
from bot.console.config import ROLES

CLI_ACTOR = "cli"


def _password(args: argparse.Namespace) -> str:
    if not args.password_stdin:
        raise UsageError(["--password-stdin: the password is read from standard input (never a flag)"])
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise UsageError(["password: standard input was empty"])
    return line


async def _users(config: AppConfig, args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from bot.console import users
    from bot.console.passwords import Passwords
    from bot.console.users import InvalidInput, NotFound
    from flows.problems import problem_lines

    passwords = Passwords(1, processes=False)
    try:
        async with migrated_engine(config) as engine:
            command = args.users_command
            if command == "add":
                try:
                    spec = users.UserIn.model_validate({"name": args.name, "roles": args.role or [],
                                                        "thon": args.thon or [], "zalo_user_id": args.zalo_id})
                except ValidationError as e:
                    raise UsageError(problem_lines(e)) from None
                await users.add(engine, config, passwords, spec, _password(args), args.clock(), CLI_ACTOR)
                print(f"user {spec.name} added ({', '.join(spec.roles)})")
            elif command == "list":
                for u in await users.list_all(engine):
                    print("\t".join([u["name"], ",".join(u["roles"]), ",".join(u["thon"]) or "-",
                                     "disabled" if u["disabled"] else "active", "totp" if u["totp"] else "-"]))
            elif command in ("disable", "enable"):
                ended = await users.set_disabled(engine, args.name, command == "disable", args.clock(), CLI_ACTOR)
                print(f"user {users.login_name(args.name)} {command}d" + (f" ({ended} session(s) ended)"
                                                                          if ended else ""))
            elif command == "reset":
                await users.reset(engine, passwords, args.name, _password(args), args.clock(), CLI_ACTOR,
                                  totp=args.totp)
                print(f"user {users.login_name(args.name)}: new password set, all sessions ended"
                      + (", authenticator to be enrolled again at next sign-in" if args.totp else ""))
    except InvalidInput as e:
        raise UsageError(e.problems) from None
    except NotFound as e:
        raise UsageError([f"name: {e}"]) from None
    finally:
        passwords.close()
    return EXIT_OK


def _users_args(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="users_command", required=True)
    add = sub.add_parser("add", help="create a console account", parents=[config_option()])
    add.add_argument("name", help="login name: lower-case letters, digits, '.', '_' or '-'")
    add.add_argument("--role", action="append", help=f"one of {', '.join(ROLES)}; repeat for several")
    add.add_argument("--thon", action="append", help="thôn slug (thon_team); repeat for several")
    add.add_argument("--zalo-id", help="the staff member's own Zalo user id, for test sends")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    sub.add_parser("list", help="every account", parents=[config_option()])
    for name, helptext in (("disable", "block an account and end its sessions"), ("enable", "unblock")):
        sp = sub.add_parser(name, help=helptext, parents=[config_option()])
        sp.add_argument("name")
    r = sub.add_parser("reset", help="set a new password (ends every session)", parents=[config_option()])
    r.add_argument("name")
    r.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    r.add_argument("--totp", action="store_true", help="also enrol a new authenticator at the next sign-in")


COMMANDS = [Command("users", "staff accounts for the console", _users_args, _users)]
