"""Command line: `python -m bot <command>`. Exit codes: 0 ok, 1 failed, 2 bad input or configuration."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from bot.config import AppConfig, ConfigError, load_config
from bot.logs import setup_logging

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _fail(prefix: str, lines: list[str], code: int = EXIT_USAGE) -> int:
    for line in lines:
        print(f"{prefix}: {line}", file=sys.stderr)
    return code


async def _serve(config: AppConfig, sandbox: bool) -> None:
    from aiohttp import web

    from bot.app import create_app
    from bot.sandbox import start_sandbox

    if sandbox:
        running = await start_sandbox(config)
        print(f"motcua sandbox: open {running.base_url}/sandbox to chat with the bot as a resident", flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            await running.close()
        return
    runner = web.AppRunner(create_app(config), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, config.server.host, config.server.port).start()
    print(f"motcua listening on http://{config.server.host}:{config.server.port}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


async def _db_upgrade(config: AppConfig) -> None:
    from storage.engine import create_engine
    from storage.migrate import current_revision, upgrade

    engine = create_engine(config.database.url)
    try:
        await upgrade(engine)
        print(f"database at revision {await current_revision(engine)}")
    finally:
        await engine.dispose()


async def _tokens(config: AppConfig, args: argparse.Namespace) -> int:
    import aiohttp

    from bot.metrics import Metrics
    from bot.tokens import TokenManager, mask
    from bot.zalo.client import ZaloClient
    from storage.engine import create_engine
    from storage.migrate import upgrade

    engine = create_engine(config.database.url)
    try:
        await upgrade(engine)
        async with aiohttp.ClientSession() as http:
            z = config.zalo
            client = ZaloClient(http, api_base_url=z.api_base_url, oauth_base_url=z.oauth_base_url,
                                app_id=z.app_id, app_secret=z.app_secret)
            manager = TokenManager(engine, client, Metrics(), refresh_margin=timedelta(0))
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
    finally:
        await engine.dispose()


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bot", description="motcua: the commune's one-stop desk on Zalo")
    sub = p.add_subparsers(dest="command", required=True)

    def with_config(sp: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sp.add_argument("--config", help="TOML configuration file (see config.example.toml)")
        return sp

    serve = with_config(sub.add_parser("serve", help="run the service"))
    serve.add_argument("--sandbox", action="store_true",
                       help="use a built-in fake Zalo and serve a chat page at /sandbox")
    with_config(sub.add_parser("chat", help="chat with the bot in the terminal (sandbox)"))
    with_config(sub.add_parser("check-config", help="validate the configuration and exit"))
    db = sub.add_parser("db", help="database schema").add_subparsers(dest="db_command", required=True)
    with_config(db.add_parser("upgrade", help="apply migrations"))
    tokens = sub.add_parser("tokens", help="the Zalo token pair").add_subparsers(dest="tokens_command", required=True)
    t_set = with_config(tokens.add_parser("set", help="store a new token pair (after the OA consent)"))
    t_set.add_argument("--access-token", required=True)
    t_set.add_argument("--refresh-token", required=True)
    t_set.add_argument("--expires-in", type=int, default=90000, help="seconds (Zalo gives 90000)")
    with_config(tokens.add_parser("show", help="show the stored pair, masked"))
    ev = sub.add_parser("eval-nlu", help="measure message understanding on a labelled JSONL file")
    ev.add_argument("file")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "eval-nlu":
        from flows.text.evaluate import main as evaluate

        return evaluate(args.file)
    try:
        config = load_config(args.config)
    except ConfigError as e:
        return _fail("config", e.problems)
    setup_logging(config.log_level)
    if args.command == "check-config":
        print("configuration is valid")
        return EXIT_OK
    return _run(lambda: _dispatch(config, args))


async def _dispatch(config: AppConfig, args: argparse.Namespace) -> int:
    if args.command == "serve":
        await _serve(config, args.sandbox)
    elif args.command == "chat":
        from bot.sandbox import terminal_chat

        await terminal_chat(config)
    elif args.command == "db":
        await _db_upgrade(config)
    elif args.command == "tokens":
        return await _tokens(config, args)
    return EXIT_OK


def _run(make: Callable[[], Coroutine[Any, Any, int]]) -> int:
    from bot.app import StartupError

    try:
        with contextlib.suppress(KeyboardInterrupt):
            return asyncio.run(make())
        return EXIT_OK
    except StartupError as e:
        return _fail("error", [str(e)], EXIT_FAILED)
    except OSError as e:  # e.g. the port is taken
        return _fail("error", [str(e)], EXIT_FAILED)
