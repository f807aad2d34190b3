""""Xóa dữ liệu của tôi": the resident's opt-ins and messages are deleted and the audit keeps only a keyed
reference to them. Reached by the `#privacy:erase` command or by typing one of ERASE_WORDS."""

from __future__ import annotations

from flows.base import Flow, Step
from flows.context import TurnContext
from flows.menu import back_button
from flows.replies import Text
from storage.lookups.models import ERASED

ERASE_COMMAND = "#privacy:erase"
# Whole messages (as simplified: lower case, no accents) that ask for erasure.
ERASE_WORDS = frozenset({"xoa du lieu cua toi", "xoa du lieu", "xoa het du lieu cua toi", "xoa thong tin cua toi",
                         "rut lai dong y", "rut dong y"})


async def _erase(ctx: TurnContext, _arg: str) -> Step:
    await ctx.services.lookups.erase_resident(ctx.zalo_user_id)
    household = await ctx.services.households.get(ctx.zalo_user_id)
    if household is not None:  # the name, phone and address shared through Zalo's form go too
        await ctx.services.households.clear_contact(household.resident_id, ctx.now)
    hasher = ctx.services.hasher
    if hasher is not None:  # the request itself is on record, without the Zalo user id
        await ctx.services.lookups.audit(zalo_user_id=None, user_ref=hasher.user(ctx.zalo_user_id), kind="privacy",
                                         outcome=ERASED, at=ctx.now)
    return Step([Text(ctx.text("privacy_erased"), (back_button(ctx),))])  # no next: conversation state goes too


PRIVACY = Flow("privacy", commands={"erase": _erase})
