"""`python -m bot news ...` and `python -m bot announcements ...` for staff (the console offers the same).

Times given on the command line are the commune's local time ("2026-12-02 07:30") unless they carry an
offset. The running service picks new announcements up within its poll interval.
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.cli import EXIT_OK, Command, UsageError, config_option, migrated_engine
from bot.config import AppConfig
from flows.problems import problem_lines


def _local(value: str | None, config: AppConfig, flag: str) -> str | None:
    """ISO text with an offset, for the pydantic models; naive input is the commune's local time."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise UsageError([f"{flag}: {value!r} is not a time like \"2026-12-02 07:30\""]) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(config.commune.timezone))
    return parsed.isoformat()


def _text(args: argparse.Namespace, name: str) -> str:
    inline, file = getattr(args, name), getattr(args, f"{name}_file")
    if (inline is None) == (file is None):
        raise UsageError([f"--{name}: give the text or --{name}-file, exactly one"])
    if file is None:
        return inline
    try:
        return Path(file).read_text(encoding="utf-8")
    except OSError as e:
        raise UsageError([f"--{name}-file: cannot read {file}: {e.strerror}"]) from None


def _validate(model: Any, data: dict[str, Any]) -> Any:
    try:
        return model.model_validate({k: v for k, v in data.items() if v is not None})
    except ValidationError as e:
        raise UsageError(problem_lines(e, empty="")) from None


async def _guarded(coro: Any) -> Any:
    from bot.broadcasts.announcements import InvalidInput, NotFound

    try:
        return await coro
    except InvalidInput as e:
        raise UsageError(e.problems) from None
    except NotFound as e:
        raise UsageError([str(e)]) from None


def _csv(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


# --- news --------------------------------------------------------------------------------------------

async def _news(config: AppConfig, args: argparse.Namespace) -> int:
    from bot.broadcasts import news
    from storage.broadcasts import news as store

    async with migrated_engine(config) as engine:
        if args.news_command == "list":
            async with engine.connect() as conn:
                rows = await store.latest(conn, offset=0, limit=args.limit)
            for r in rows[:args.limit]:
                print(f"{r.id}\t{_show(r.published_at.isoformat(), config)}\t{r.title}")
            return EXIT_OK
        spec = _validate(news.NewsIn, {
            "title": args.title, "summary": args.summary, "body": _text(args, "body"), "category": args.category,
            "image_url": args.image_url, "link": args.link, "created_by": args.by,
            "published_at": _local(args.published_at, config, "--published-at")})
        article_id = await _guarded(news.add(engine, config, spec, args.clock()))
    print(f"news article {article_id} added")
    return EXIT_OK


def _news_args(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="news_command", required=True)
    add = sub.add_parser("add", help="publish an article", parents=[config_option()])
    add.add_argument("--title", required=True)
    add.add_argument("--summary", required=True)
    add.add_argument("--body")
    add.add_argument("--body-file", help="UTF-8 text file with the body")
    add.add_argument("--category", required=True, help="a topic slug from the configuration, e.g. moi-truong")
    add.add_argument("--image-url")
    add.add_argument("--link")
    add.add_argument("--published-at", help="local time, default now")
    add.add_argument("--by", required=True, help="who publishes it")
    ls = sub.add_parser("list", help="the newest articles", parents=[config_option()])
    ls.add_argument("--limit", type=int, default=20)


# --- announcements -----------------------------------------------------------------------------------

async def _announcements(config: AppConfig, args: argparse.Namespace) -> int:
    from bot.broadcasts import announcements as ann

    now = args.clock()
    async with migrated_engine(config) as engine:
        command = args.announcements_command
        if command == "create":
            spec = _validate(ann.AnnouncementIn, {
                "title": args.title, "text": _text(args, "text"), "image_url": args.image_url, "link": args.link,
                "thon": _csv(args.thon), "topics": _csv(args.topics), "urgent": args.urgent,
                "send_at": _local(args.at, config, "--at"), "repeat": args.repeat, "created_by": args.by})
            result = await _guarded(ann.create(engine, config, spec, now))
            print(f"announcement {result['id']}: {result['status']}"
                  + (f", next send {_show(result['next_run_at'], config)}" if result["next_run_at"] else ""))
        elif command == "approve":
            result = await _guarded(ann.approve(engine, config, args.id, args.by, now))
            print(f"announcement {args.id}: approved, next send {_show(result['next_run_at'], config)}")
        elif command == "cancel":
            result = await _guarded(ann.cancel(engine, args.id, args.by, now))
            print(f"announcement {args.id}: cancelled ({result['runs_stopped']} sending run(s) stopped)")
        elif command == "list":
            from storage.broadcasts import announcements as store

            async with engine.connect() as conn:
                for r in await store.list_announcements(conn, args.limit):
                    print(f"{r.id}\t{r.status}\t{'KHẨN ' if r.urgent else ''}{r.title}")
        elif command == "report":
            report = await _guarded(ann.report(engine, config, args.id))
            print(json.dumps(report, ensure_ascii=False, indent=2) if args.json else _render(report, config))
        elif command == "fallback":
            return await _fallback(config, engine, args)
    return EXIT_OK


async def _fallback(config: AppConfig, engine: AsyncEngine, args: argparse.Namespace) -> int:
    import aiohttp

    from bot.broadcasts.fanout import deliver_fallback
    from bot.broadcasts.service import other_channels
    from bot.flowconfig import running_services
    from storage.broadcasts import announcements as store

    async with engine.connect() as conn:
        runs = await store.runs_of(conn, args.id, 1000)
    run = next((r for r in runs if args.run in (None, r.id)), None)
    if run is None:
        raise UsageError([f"announcement {args.id} has no run {args.run}" if args.run
                          else f"announcement {args.id} has not been sent yet"])
    async with aiohttp.ClientSession() as http:
        services, _ = await running_services(config, engine, args.clock)
        channels = other_channels(config, services, http, Path(args.out) if args.out else None)
        if args.channel not in channels:
            raise UsageError([f"--channel: {args.channel} is not configured (set broadcasts.sms_gateway_url)"])
        counts = await deliver_fallback(engine, channels[args.channel], run.id, args.clock())
    print(f"run {run.id} over {args.channel}: " + (", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
                                                    or "nobody left to reach"))
    if args.channel == "csv":
        print(f"files in {args.out or config.broadcasts.csv_dir} (personal data: for the thôn team only)")
    return EXIT_OK


def _show(iso: str | None, config: AppConfig) -> str:
    if not iso:
        return "-"
    return f"{datetime.fromisoformat(iso).astimezone(ZoneInfo(config.commune.timezone)):%d/%m/%Y %H:%M}"


def _render(report: dict[str, Any], config: AppConfig) -> str:
    thon = {t.slug: t.name for t in config.commune.thon}
    a = report["audience"]
    lines = [f"Announcement {report['id']}: {report['title']} — {report['status']}"
             + (" (KHẨN)" if report["urgent"] else ""),
             f"audience: thôn {', '.join(thon.get(s, s) for s in a['thon']) or 'all'}; "
             f"topics {', '.join(a['topics']) or 'all'}"
             + (f"; repeats {report['repeat']}" if report["repeat"] else ""),
             f"next send: {_show(report['next_run_at'], config)}"]
    for run in report["runs"]:
        o = run["outcomes"]
        lines += [f"\nrun {run['run_id']} due {_show(run['due_at'], config)}: {run['status']}",
                  "  " + " · ".join(f"{k} {v}" for k, v in o.items())]
        for label in ("unreachable", "failed", "cancelled"):
            reasons = run[f"{label}_by_reason"]
            if reasons:
                lines.append(f"  {label} by reason: " + ", ".join(f"{k}: {v}" for k, v in sorted(reasons.items())))
        for slug, counts in run["by_thon"].items():
            lines.append(f"  {thon.get(slug, slug)}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
        for channel, counts in run["other_channels"].items():
            lines.append(f"  over {channel}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
        if run["archived"]:
            lines.append("  counts only: the per-household records passed their retention period")
        elif run["unreachable"]:
            lines.append("  not reached on Zalo (masked):")
            lines += [f"    {u['thon']}\t{u['name'] or '-'}\t{u['phone'] or '-'}\t{u['reason']} {u['reason_text']}"
                      for u in run["unreachable"]]
    return "\n".join(lines)


def _announcements_args(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="announcements_command", required=True)
    c = sub.add_parser("create", help="create (and schedule, unless approval is required) an announcement",
                       parents=[config_option()])
    c.add_argument("--title", required=True)
    c.add_argument("--text")
    c.add_argument("--text-file", help="UTF-8 text file with the announcement")
    c.add_argument("--thon", help="comma-separated thôn slugs; default every thôn")
    c.add_argument("--topics", help="comma-separated topic slugs; default every household")
    c.add_argument("--urgent", action="store_true", help="ignore topic choices and quiet hours")
    c.add_argument("--image-url")
    c.add_argument("--link")
    c.add_argument("--at", help="local time to send, e.g. \"2026-12-02 07:30\"; default now")
    c.add_argument("--repeat", help="crontab in local time with weekday names, e.g. \"0 7 * * mon\"")
    c.add_argument("--by", required=True, help="who creates it")
    for name, helptext in (("approve", "approve (by a second person)"), ("cancel", "stop sending")):
        sp = sub.add_parser(name, help=helptext, parents=[config_option()])
        sp.add_argument("id", type=int)
        sp.add_argument("--by", required=True)
    ls = sub.add_parser("list", help="the newest announcements", parents=[config_option()])
    ls.add_argument("--limit", type=int, default=20)
    r = sub.add_parser("report", help="outcomes, by thôn, and who was not reached (masked)",
                       parents=[config_option()])
    r.add_argument("id", type=int)
    r.add_argument("--json", action="store_true")
    f = sub.add_parser("fallback", help="carry a sent announcement to the households Zalo did not reach",
                       parents=[config_option()])
    f.add_argument("id", type=int)
    f.add_argument("--channel", choices=["sms", "csv"], required=True)
    f.add_argument("--run", type=int, help="which run (default the latest)")
    f.add_argument("--out", help="folder for the CSV files (default broadcasts.csv_dir)")


def _followers_args(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="followers_command", required=True)
    sub.add_parser("sync", help="mark everyone Zalo lists as the OA's followers (run once when going live)",
                   parents=[config_option()])


async def _followers(config: AppConfig, args: argparse.Namespace) -> int:
    """Followers from before the bot went live sent no follow event: without this they are no audience."""
    import aiohttp

    from bot.app import token_manager, zalo_client
    from bot.metrics import Metrics
    from bot.tokens import TokenUnavailable
    from storage.engine import run_transaction
    from storage.queues import mark_followers

    async with migrated_engine(config) as engine, aiohttp.ClientSession() as http:
        client = zalo_client(http, config.zalo)
        tokens = token_manager(engine, client, Metrics(), config.zalo, args.clock)
        listed = marked = 0
        while True:
            try:
                page = await client.followers(await tokens.current(), listed)
            except TokenUnavailable as e:
                raise UsageError([f"zalo: {e}"]) from None
            if page is None:
                raise UsageError([f"zalo: the follower list could not be read (after {listed} followers)"])
            ids, total = page
            marked += await run_transaction(engine, mark_followers, ids, args.clock())
            listed += len(ids)
            if not ids or listed >= total:
                break
    print(f"{listed} followers listed by Zalo; {marked} newly marked as followers")
    return EXIT_OK


COMMANDS = [
    Command("news", "local news articles", _news_args, _news),
    Command("announcements", "announcements to households", _announcements_args, _announcements),
    Command("followers", "the OA's followers", _followers_args, _followers),
]
