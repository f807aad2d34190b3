"""Command line: `python -m bot <command>`. Exit codes: 0 ok, 1 failed, 2 bad input or configuration.

Core commands live here; each feature declares its own (`Feature.commands`, listed in bot/features.py).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import faulthandler
import gc
import os
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import AppConfig, ConfigError, load_config
from bot.logs import setup_logging
from flows.problems import Problems

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXAMPLE_CONFIG = Path(__file__).resolve().parents[1] / "config.example.toml"  # the sandbox's defaults


@dataclass(frozen=True)
class Command:
    """A command of `python -m bot`. `run` gets the parsed arguments; their `clock` is the time every command
    reads (`args.clock()`, never the system clock directly), so tests can run a command at a moment of theirs."""

    name: str
    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[AppConfig, argparse.Namespace], Coroutine[Any, Any, int]]


class UsageError(Problems):
    """Bad input to a command: printed as one line per problem, exit code 2."""


@asynccontextmanager
async def migrated_engine(config: AppConfig) -> AsyncIterator[AsyncEngine]:
    """The configured database, brought up to date, for one command."""
    from sqlalchemy.exc import DBAPIError

    from bot.app import StartupError
    from storage.engine import create_engine
    from storage.migrate import upgrade

    engine = create_engine(config.database.url)
    try:
        try:
            await upgrade(engine)
        except (DBAPIError, OSError) as e:  # e.g. the PostgreSQL database does not exist
            cause = str(getattr(e, "orig", None) or e).splitlines()[0]
            raise StartupError(f"database {engine.url.render_as_string(hide_password=True)}: {cause}") from None
        yield engine
    finally:
        await engine.dispose()


def fail(prefix: str, lines: list[str], code: int = EXIT_USAGE) -> int:
    for line in lines:
        print(f"{prefix}: {line}", file=sys.stderr)
    return code


# --- core commands -----------------------------------------------------------------------------------

async def _serve(config: AppConfig, args: argparse.Namespace) -> int:
    from aiohttp import web

    from bot.app import create_app
    from bot.testing.sandbox import start_sandbox

    deaf = await deaf_problems(config)
    if deaf and not args.sandbox:
        return fail("config", deaf)
    # A fatal signal (SIGBUS when a memory-mapped SQLite file becomes unwritable, SIGSEGV) kills the process
    # before any handler runs: have it say so on the process's stderr, with where each thread was.
    faulthandler.enable(file=2, all_threads=True)  # file descriptor 2, even where sys.stderr is replaced
    if args.sandbox:
        fail("warning", deaf)  # replaced by the sandbox's fake Zalo
        running = await start_sandbox(config)
        _freeze_startup_objects()
        print(f"motcua sandbox: open {running.base_url}/sandbox to chat with the bot as a resident", flush=True)
        if config.console.enabled:
            from bot.testing.sandbox import DEMO_ADMIN

            print(f"staff console: {running.base_url}/console (sign in as {DEMO_ADMIN[0]}, password "
                  f"{DEMO_ADMIN[1]})", flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            await running.close()
        return EXIT_OK
    runner = web.AppRunner(create_app(config), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, config.server.host, config.server.port).start()
        _freeze_startup_objects()
        print(f"motcua listening on http://{config.server.host}:{config.server.port}", flush=True)
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
    return EXIT_OK


def _freeze_startup_objects() -> None:
    """Move what start-up built (modules, configuration, flows, SQLAlchemy metadata: long-lived) out of
    the garbage collector's sight, so full collections scan only newer objects and stay short instead
    of pausing every request for tens of milliseconds."""
    gc.collect()
    gc.freeze()


def _loop_factory(command: str) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop for the service when installed (cheaper sockets and thread hand-offs, which aiosqlite does
    for every statement); the standard loop otherwise, or with MOTCUA_EVENT_LOOP=asyncio."""
    if command != "serve" or os.environ.get("MOTCUA_EVENT_LOOP", "").lower() == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


async def _chat(config: AppConfig, args: argparse.Namespace) -> int:
    from bot.testing.sandbox import terminal_chat

    await terminal_chat(config)
    return EXIT_OK


async def _check_config(config: AppConfig, args: argparse.Namespace) -> int:
    from bot.services import build_services

    build_services(config)  # also validates the flow configuration files
    deaf = await deaf_problems(config)
    if deaf and not args.sandbox:
        return fail("config", deaf)
    fail("warning", deaf)  # the sandbox brings its own fake Zalo
    print("configuration is valid" + (" for the sandbox" if args.sandbox else ""))
    return EXIT_OK


ZALO_NEEDS = {
    "app_id": "webhooks cannot be verified (it is part of Zalo's signature)",
    "oa_id": "the OA's own id, needed to tell its echoes from residents' messages",
    "oa_secret_key": "every webhook would be refused (its signature cannot be checked)",
    "app_secret": "the access token cannot be refreshed",
}


async def deaf_problems(config: AppConfig) -> list[str]:
    """What would make the service deaf or mute on Zalo: ids and secrets missing, no token pair anywhere."""
    z = config.zalo
    problems = [f"zalo.{field}: missing: {why}" for field, why in ZALO_NEEDS.items() if not getattr(z, field)]
    if not (z.access_token and z.refresh_token) and not await _token_pair_stored(config):
        problems.append("zalo.access_token: missing, and no token pair is stored in the database: nothing can be "
                        "sent (set zalo.access_token and zalo.refresh_token, or run `python -m bot tokens set`)")
    return problems


async def _token_pair_stored(config: AppConfig) -> bool:
    from sqlalchemy import select

    from storage.engine import create_engine, is_sqlite
    from storage.models import ZaloToken

    engine = create_engine(config.database.url)
    try:
        if is_sqlite(engine) and not await asyncio.to_thread(Path(engine.url.database or "").is_file):
            return False  # not created yet (and checking must not create it)
        async with engine.connect() as conn:
            return (await conn.execute(select(ZaloToken.id))).first() is not None
    except Exception:  # no schema yet, or unreachable: nothing known to be stored
        return False
    finally:
        await engine.dispose()


async def _db(config: AppConfig, args: argparse.Namespace) -> int:
    from storage.migrate import current_revision

    async with migrated_engine(config) as engine:
        print(f"database at revision {await current_revision(engine)}")
    return EXIT_OK


async def _tokens(config: AppConfig, args: argparse.Namespace) -> int:
    import aiohttp

    from bot.app import zalo_client
    from bot.metrics import Metrics
    from bot.tokens import TokenManager, mask

    async with migrated_engine(config) as engine, aiohttp.ClientSession() as http:
        manager = TokenManager(engine, zalo_client(http, config.zalo), Metrics(), refresh_margin=timedelta(0),
                               clock=args.clock)
        if args.tokens_command == "set":
            await manager.set_pair(args.access_token, args.refresh_token, timedelta(seconds=args.expires_in))
            print("token pair stored")
        state = await manager.read()
    if state is None:
        print("no token pair stored")
        return EXIT_FAILED
    print(f"access token:  {mask(state.access_token)}\nrefresh token: {mask(state.refresh_token)}\n"
          f"expires at:    {state.expires_at.isoformat()} (UTC)\ngeneration:    {state.generation}")
    return EXIT_OK


async def _api(config: AppConfig, args: argparse.Namespace) -> int:
    from bot.api import new_token

    token, digest = new_token()
    print(f"bearer token for {args.name} (give it to the integration; it is not stored anywhere):\n{token}\n\n"
          f"add to the configuration:\n[[api.clients]]\nname = \"{args.name}\"\ntoken_sha256 = \"{digest}\"\n"
          f"scopes = {list(args.scope)!r}\n".replace("'", '"'))
    return EXIT_OK


def _serve_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sandbox", action="store_true", help="use a built-in fake Zalo and serve a chat page at /sandbox")


def _db_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("db_command", choices=["upgrade"], help="apply migrations")


def config_option() -> argparse.ArgumentParser:
    """`--config` for nested commands (`tokens set --config X`), not overriding one given earlier."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--config", default=argparse.SUPPRESS, help="TOML configuration file")
    return parent


def _tokens_args(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="tokens_command", required=True)
    t_set = sub.add_parser("set", help="store a new token pair (after the OA consent)", parents=[config_option()])
    t_set.add_argument("--access-token", required=True)
    t_set.add_argument("--refresh-token", required=True)
    t_set.add_argument("--expires-in", type=int, default=90000, help="seconds (Zalo gives 90000)")
    sub.add_parser("show", help="show the stored pair, masked", parents=[config_option()])


def _api_args(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="api_command", required=True)
    t = sub.add_parser("new-token", help="make a bearer token for an integration", parents=[config_option()])
    t.add_argument("name")
    t.add_argument("--scope", action="append", default=[], help="e.g. dossiers, id_cards, news, announcements")


CORE_COMMANDS = [
    Command("serve", "run the service", _serve_args, _serve),
    Command("chat", "chat with the bot in the terminal (sandbox)", lambda p: None, _chat),
    Command("check-config", "validate the configuration and exit", _serve_args, _check_config),
    Command("db", "database schema", _db_args, _db),
    Command("tokens", "the Zalo token pair", _tokens_args, _tokens),
    Command("api", "integrations calling /api/v1", _api_args, _api),
]


def all_commands() -> list[Command]:
    commands = list(CORE_COMMANDS)
    # Imported here: the features' command modules import Command and the helpers from this one.
    from bot.features import FEATURES
    from bot.testing.conversations import COMMANDS as EVALUATION_COMMANDS

    for feature in FEATURES:
        commands += feature.commands
    commands += EVALUATION_COMMANDS
    return commands


def build_parser(commands: list[Command]) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bot", description="motcua: the commune's one-stop desk on Zalo")
    sub = p.add_subparsers(dest="command", required=True)
    for c in commands:
        sp = sub.add_parser(c.name, help=c.help)
        sp.add_argument("--config", help="TOML configuration file (see config.example.toml)")
        c.configure(sp)
    ev = sub.add_parser("eval-nlu", help="measure message understanding on a labelled JSONL file")
    ev.add_argument("file")
    return p


def main(argv: list[str] | None = None, clock: Callable[[], datetime] | None = None) -> int:
    from storage.types import utcnow

    commands = all_commands()
    args = build_parser(commands).parse_args(argv)
    args.clock = clock or utcnow
    if args.command == "eval-nlu":
        from flows.text.evaluate import main as evaluate

        return evaluate(args.file)
    path = config_path(args)
    if path is None and "MOTCUA_DATABASE__URL" not in os.environ:
        return fail("config", ["no configuration: pass --config FILE, set MOTCUA_CONFIG=FILE, or put a config.toml "
                               "in this folder (start from config.example.toml)"])
    try:
        config = load_config(path)
    except ConfigError as e:
        return fail("config", e.problems)
    setup_logging(config.log_level)
    command = next(c for c in commands if c.name == args.command)
    return _run(config, args, command)


def config_path(args: argparse.Namespace) -> str | None:
    """--config; else MOTCUA_CONFIG; else ./config.toml when present. `chat` (and the sandbox) fall back on
    the example configuration, as `dev.py sandbox` does; other commands get None (they refuse to guess)."""
    if args.config:
        return str(args.config)
    if os.environ.get("MOTCUA_CONFIG"):
        return os.environ["MOTCUA_CONFIG"]
    if Path("config.toml").is_file():
        return "config.toml"
    if args.command == "chat" or getattr(args, "sandbox", False):
        return str(EXAMPLE_CONFIG) if EXAMPLE_CONFIG.is_file() else None
    return None


def _run(config: AppConfig, args: argparse.Namespace, command: Command) -> int:
    from bot.app import StartupError
    from flows.procedures.catalog import CatalogError
    from flows.text.lexicon import LexiconError
    from flows.text.talk import TalkError
    from flows.texts import FlowConfigError

    try:
        with contextlib.suppress(KeyboardInterrupt), asyncio.Runner(loop_factory=_loop_factory(command.name)) as runner:
            return runner.run(command.run(config, args))
        return EXIT_OK
    except UsageError as e:
        return fail(args.command, e.problems)
    except (FlowConfigError, CatalogError, LexiconError, TalkError) as e:
        return fail("flows", e.problems)
    except (StartupError, OSError) as e:  # e.g. database unreachable, port taken
        return fail("error", [str(e)], EXIT_FAILED)
