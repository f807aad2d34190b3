"""The commune's facts as residents are told them: the configuration file's `[commune]` with the
confirmations published in the flow configuration (flows/facts.py) applied. A confirmation counts only
for the figure the file still holds; a corrected figure replaces the file's."""

from __future__ import annotations

from pydantic import ValidationError

from bot.config import CommuneConfig
from flows.facts import Confirmation
from flows.problems import Problems, problem_lines

HOURS_HELP = "one line per weekday, 0 = Monday … 6 = Sunday, e.g. 0 = 07:30-11:30, 13:30-17:00"


def hours_text(hours: dict[int, list[str]]) -> str:
    """Office hours as one comparable line: "0=07:30-11:30,13:30-17:00; 1=…"."""
    return "; ".join(f"{day}={','.join(ranges)}" for day, ranges in sorted(hours.items()))


def parse_hours(text: str) -> dict[int, list[str]]:
    """hours_text's line, or one weekday a line ("0 = 07:30-11:30, 13:30-17:00"); raises Problems naming
    `value`."""
    hours: dict[int, list[str]] = {}
    for part in text.replace("\n", ";").split(";"):
        if not part.strip():
            continue
        day, sep, ranges = part.partition("=")
        if not sep or not day.strip().isdigit():
            raise Problems([f"value: {part.strip()!r}: {HOURS_HELP}"])
        hours[int(day)] = [r.strip() for r in ranges.split(",") if r.strip()]
    if not hours:
        raise Problems([f"value: {HOURS_HELP}"])
    try:
        return CommuneConfig(office_hours=hours).office_hours
    except ValidationError as e:
        raise Problems([line.replace("office_hours", "value", 1) for line in problem_lines(e)]) from None


def current(commune: CommuneConfig, fact: str) -> str | None:
    """The figure the configuration file holds for `fact` (None: no such fact)."""
    if fact == "office_phone":
        return commune.office_phone
    if fact == "office_address":
        return commune.office_address
    if fact == "office_hours":
        return hours_text(commune.office_hours)
    slug = fact.removeprefix("thon:")
    return next((t.name for t in commune.thon if fact.startswith("thon:") and t.slug == slug), None)


def applied(commune: CommuneConfig, confirmations: dict[str, Confirmation]) -> CommuneConfig:
    """The commune with each confirmation that still fits the file applied."""
    fits = {f: c for f, c in confirmations.items() if current(commune, f) == c.file_value}
    if not fits:
        return commune
    update: dict[str, object] = {}
    if c := fits.get("office_phone"):
        update |= {"office_phone": c.value, "office_phone_verified": True}
    if c := fits.get("office_address"):
        update |= {"office_address": c.value, "office_address_verified": True}
    if c := fits.get("office_hours"):
        update |= {"office_hours": parse_hours(c.value), "office_hours_verified": True}
    # A thôn is confirmed, not renamed here: staff pages and broadcasts name it from the file.
    update["thon"] = [t.model_copy(update={"verified": True}) if f"thon:{t.slug}" in fits else t
                      for t in commune.thon]
    return commune.model_copy(update=update)
