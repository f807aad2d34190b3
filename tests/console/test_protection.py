"""Every console route: 302 to sign-in without a session, 403 for a role without the right; state changes
need the CSRF token and this site's Origin; the audit log records and cannot be rewritten; two service
instances on one PostgreSQL database share sessions and see each other's changes."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from bot.app import console_pages
from bot.console.app import FRAME, all_routes
from bot.console.config import ROLES
from bot.console.roles import permission_table
from tests.console.kit import StaffClient, add_staff
from tests.kit import BotHarness

NO_TOTP = {"console": {"require_totp_for": []}, "commune": {"thon": [{"slug": "vong-nhi", "name": "Võng Nhi"}]}}
GUARDED = [r for r in all_routes(console_pages()) if r.permission is not None]
PERMISSIONS = permission_table(p.permissions for p in (*FRAME, *console_pages()))


SAMPLE = {"id": "1", "name": "lan", "kind": "texts.toml", "number": "1"}  # other parameters: "x"


def concrete(path: str) -> str:
    return "/console" + re.sub(r"\{(\w+)[^}]*\}", lambda m: SAMPLE.get(m.group(1), "x"), path)


async def test_every_route_redirects_to_sign_in_without_a_session(db_url: str) -> None:
    assert len(GUARDED) >= 3
    async with BotHarness.start(db_url, **NO_TOTP) as bot, StaffClient(bot) as anonymous:
        await anonymous.get("/console/login")  # a browser's CSRF cookie, so POSTs reach the permission check
        for route in GUARDED:
            path = concrete(route.path)
            page = await (anonymous.get(path) if route.method == "GET" else anonymous.post(path, {}))
            assert page.status == 302, (route.method, path, page.status)
            assert page.location.startswith("/console/login?next="), (path, page.location)


async def test_every_route_is_forbidden_to_a_role_without_the_right(db_url: str) -> None:
    async with BotHarness.start(db_url, **NO_TOTP) as bot:
        browsers: dict[str, StaffClient] = {}
        try:
            for role in ROLES:
                await add_staff(bot, f"user-{role.replace('_', '-')}", role,
                                thon=("vong-nhi",) if role == "thon_team" else ())
                browsers[role] = StaffClient(bot)
                await browsers[role].login(f"user-{role.replace('_', '-')}")
            checked = 0
            for route in GUARDED:
                for role in sorted(set(ROLES) - PERMISSIONS[route.permission or ""]):
                    browser = browsers[role]
                    await browser.get("/console/account")  # a fresh CSRF token
                    path = concrete(route.path)
                    page = await (browser.get(path) if route.method == "GET" else browser.post(path, {}))
                    assert page.status == 403, (role, route.method, path, page.status)
                    assert page.has("Không có quyền")
                    checked += 1
            assert checked > len(GUARDED)
        finally:
            for b in browsers.values():
                await b.close()


async def test_state_changes_need_the_csrf_token_and_this_origin(db_url: str) -> None:
    async with BotHarness.start(db_url, **NO_TOTP) as bot, StaffClient(bot) as staff:
        await add_staff(bot, "lan", "editor")
        await staff.get("/console/login")
        assert (await staff.post("/console/login", {"name": "lan", "password": "x"}, csrf=False)).status == 403
        await staff.login("lan")
        await staff.get("/console/account")
        no_token = await staff.post("/console/logout", csrf=False)
        assert no_token.status == 403 and no_token.has("csrf_token")
        foreign = await staff.post("/console/logout", origin="https://evil.example")
        assert foreign.status == 403 and foreign.has("Origin https://evil.example is not this site")
        wrong = await staff.post("/console/logout", csrf=False, headers={"X-CSRF-Token": "not-the-token"})
        assert wrong.status == 403
        assert (await staff.get("/console/")).status == 200  # none of those signed out
        header = await staff.post("/console/logout", csrf=False, headers={"X-CSRF-Token": staff.csrf})
        assert header.status == 302 and (await staff.get("/console/")).status == 302


async def test_audit_page_lists_and_filters_and_the_log_is_append_only(db_url: str) -> None:
    async with BotHarness.start(db_url, **NO_TOTP) as bot, StaffClient(bot) as admin, StaffClient(bot) as other:
        await add_staff(bot, "quan-tri", "admin")
        await add_staff(bot, "lan", "editor")
        await other.login("lan", "sai-mat-khau-999")
        await other.login("mat-khau-go-vao-o-ten", "x" * 10)  # the password typed into the name field
        await admin.login("quan-tri")
        page = await admin.get("/console/audit")
        assert page.status == 200
        for expected in ("user.add", "user:lan", "login.failed", "quan-tri"):
            assert page.has(expected), expected
        assert "password" not in page.text.replace('type="password"', "")
        assert "mat-khau-go-vao-o-ten" not in page.text and page.has("(tên không có)")
        only_failures = await admin.get("/console/audit?action=login.failed&actor=lan")
        table = only_failures.text.split('id="audit"')[1]
        assert "login.failed" in table and "user.add" not in table
        bad_date = await admin.get("/console/audit?from=hom-qua")
        assert bad_date.status == 400 and bad_date.has("from: 'hom-qua' không phải ngày")
        async with bot.runtime.engine.connect() as conn:
            counted = (await conn.execute(text("SELECT name FROM console_login_attempts"))).scalars().all()
            assert counted and not any("mat-khau" in n or n == "lan" for n in counted)  # hashes only
            for statement in ("UPDATE console_audit SET actor = 'ai-do'", "DELETE FROM console_audit"):
                with pytest.raises(Exception, match="append-only"):
                    await conn.execute(text(statement))
                await conn.rollback()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_two_instances_share_sessions_and_changes(db_url: str) -> None:
    async with BotHarness.start(db_url, **NO_TOTP) as one, BotHarness.start(db_url, **NO_TOTP) as two, \
            StaffClient(one) as on_one, StaffClient(two) as on_two:
        await add_staff(one, "quan-tri", "admin")
        await on_one.login("quan-tri")
        on_two.http.cookie_jar.update_cookies({c.key: c.value for c in on_one.http.cookie_jar}, on_two.url("/console/"))
        assert (await on_two.get("/console/")).status == 200  # the session lives in the shared database
        await add_staff(two, "lan", "editor")  # a change made through the other instance
        audit = await on_one.get("/console/audit?action=user.add")
        assert audit.has("user:lan")
        await on_two.get("/console/news/new")
        article = {"title": "Tin từ máy hai", "summary": "S", "body": "B", "category": "moi-truong", "action": "save"}
        assert (await on_two.post("/console/news/new", article)).status == 302
        assert (await on_one.get("/console/news")).has("Tin từ máy hai")
        await on_two.get("/console/account")
        await on_two.post("/console/logout", {"everywhere": "1"})
        assert (await on_one.get("/console/")).status == 302  # signed out everywhere, on both instances
