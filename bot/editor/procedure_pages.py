"""Each procedure of the catalog as a form: papers one per line, fee and time as the resident reads them and
as figures, place, online, conditions, the Wednesday flag, informal names, keywords, sources, and which
figures await checking. A save edits only the changed fields of catalog.toml's draft (comments kept);
the catalog's own validator speaks beside each field."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from bot.console.pages import ConsolePages, Route
from bot.console.web import PREFIX, engine_of, render, state
from bot.editor import drafts, forms, toml_edit
from bot.errors import InvalidInput
from flows.text.normalize import unaccent

KIND = "catalog.toml"
# The editor keeps to itself (a feature imports no other feature's modules): the choices of the catalog's
# Literal fields, in the admin's words; a test holds them equal to the model's. A value the model gains
# before this list does is still shown, as its code, and the raw view edits it.
HANDLER_NAMES = {"ubnd": "UBND phường", "cong_an": "Công an phường", "bhxh": "Cơ quan Bảo hiểm xã hội",
                 "so_noi_vu": "Sở Nội vụ thành phố"}
ONLINE_NAMES = {"none": "Không", "partial": "Một phần (nộp trực tuyến, đến nhận hoặc bổ sung)",
                "full": "Toàn trình (làm hết trên mạng)"}


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    kind: str  # text | area | lines | int | bool | select
    required: bool = False  # an empty answer stays "" (the model needs the key); otherwise it is left out
    hint: str = ""
    options: tuple[tuple[str, str], ...] = ()


GROUPS: tuple[tuple[str, tuple[FormField, ...]], ...] = (
    ("Tên", (
        FormField("name", "Tên thủ tục đầy đủ", "text", required=True),
        FormField("short_name", "Tên ngắn (trên nút và thẻ)", "text", required=True),
        FormField("code", "Mã thủ tục", "text", hint="Mã trên Cổng dịch vụ công, nếu có."),
    )),
    ("Giấy tờ", (
        FormField("papers", "Giấy tờ cần mang", "lines", hint="Mỗi dòng một loại giấy."),
        FormField("sets", "Số bộ hồ sơ", "int"),
    )),
    ("Lệ phí", (
        FormField("fee_text", "Lệ phí (câu bot trả lời)", "area", required=True),
        FormField("fee_amount", "Mức lệ phí (đồng)", "int",
                  hint="0 = miễn phí; để trống khi không có một mức cố định. Viết 8000 hay 8.000 đều được."),
        FormField("fee_basis", "Căn cứ thu phí", "text"),
    )),
    ("Thời hạn", (
        FormField("time_text", "Thời hạn (câu bot trả lời)", "area", required=True),
        FormField("working_days", "Số ngày làm việc", "int",
                  hint="0 = trong ngày; để trống khi chưa có con số chắc chắn."),
    )),
    ("Nơi nộp, điều kiện", (
        FormField("where", "Nơi nộp", "area", required=True),
        FormField("handled_by", "Cơ quan giải quyết", "select", options=tuple(HANDLER_NAMES.items())),
        FormField("conditions", "Điều kiện", "area"),
    )),
    ("Trực tuyến", (
        FormField("online", "Nộp trực tuyến", "select", options=tuple(ONLINE_NAMES.items())),
        FormField("online_url", "Địa chỉ nộp trực tuyến", "text", hint="Cần khi nộp trực tuyến được."),
    )),
    ("Ngày thứ Tư không hẹn", (
        FormField("same_day_wednesday", "Thứ Tư giải quyết xong trong ngày (huy hiệu ngôi sao)", "bool",
                  hint="Chỉ khi số ngày làm việc là 0."),
        FormField("wednesday_received", "Thứ Tư chỉ nhận hồ sơ, không cần hẹn", "text",
                  hint="Ghi đúng câu của danh sách \"Ngày thứ Tư không hẹn\"; để trống khi không có trong danh sách."),
    )),
    ("Bà con tìm thủ tục này bằng", (
        FormField("informal_names", "Cách bà con hay gọi", "lines",
                  hint="Mỗi dòng một cách gọi, có dấu hay không đều được."),
        FormField("keywords", "Từ khóa", "lines", hint="Mỗi dòng một từ hoặc cụm từ."),
    )),
    ("Nguồn, xác minh", (
        FormField("sources", "Nguồn", "lines", hint="Mỗi dòng một văn bản hoặc trang web."),
        FormField("verified", "Đã xác minh mọi số liệu", "bool", hint="Bỏ chọn khi còn mục chưa xác minh bên dưới."),
    )),
)
FIELDS = tuple(f for _, group in GROUPS for f in group)
BY_NAME = {f.name: f for f in FIELDS}
# The figures a facts sheet can leave unconfirmed (the `unverified` checkboxes).
CHECKABLE = ("code", "papers", "sets", "time_text", "working_days", "fee_text", "fee_amount", "where", "handled_by",
             "conditions", "online", "online_url", "same_day_wednesday", "wednesday_received")
_THOUSANDS = re.compile(r"[.,\s]")


def procedures_of(data: dict[str, Any]) -> list[dict[str, Any]]:
    items = data.get("procedure")
    return [p for p in items if isinstance(p, dict)] if isinstance(items, list) else []


def field_names_of(data: dict[str, Any]) -> dict[str, str]:
    """The catalog's own names of its fields ([fields]); a field it does not name shows as its slug."""
    names = data.get("fields")
    return {str(k): str(v) for k, v in names.items()} if isinstance(names, dict) else {}


def find(data: dict[str, Any], slug: str) -> dict[str, Any] | None:
    return next((p for p in procedures_of(data) if p.get("slug") == slug), None)


def shown_value(f: FormField, raw: Any) -> Any:
    """A stored value as its form control shows it."""
    if f.kind == "bool":
        return bool(raw)
    if f.kind == "lines":
        return "\n".join(str(x) for x in raw) if isinstance(raw, list) else ""
    return "" if raw is None else str(raw)


def shown_values(item: dict[str, Any]) -> dict[str, Any]:
    out = {f.name: shown_value(f, item.get(f.name)) for f in FIELDS}
    out["unverified"] = [str(x) for x in item.get("unverified") or []]
    return out


def submitted(form: Any) -> dict[str, Any]:
    """The form as its controls show it (to render it again as typed)."""
    out: dict[str, Any] = {}
    for f in FIELDS:
        out[f.name] = form.get(f.name) == "1" if f.kind == "bool" else str(form.get(f.name, "")).replace("\r\n", "\n")
    out["unverified"] = [str(v) for v in form.getall("unverified", [])]
    return out


def typed(values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The form's values as the catalog stores them (None: leave the key out), and the values that are
    not even of the right type (a fee of "tám nghìn"), by field."""
    out: dict[str, Any] = {}
    problems: dict[str, list[str]] = {}
    for f in FIELDS:
        value = values[f.name]
        if f.kind == "bool":
            out[f.name] = bool(value)
        elif f.kind == "lines":
            out[f.name] = forms.lines(value)
        elif f.kind == "int":
            digits = _THOUSANDS.sub("", value)
            try:
                out[f.name] = int(digits) if digits else None
            except ValueError:
                problems[f.name] = [f"{value!r} không phải một số nguyên (chỉ gồm chữ số)"]
        else:
            text = value.strip()
            out[f.name] = text if text or f.required else None
    out["unverified"] = [name for name in CHECKABLE if name in values["unverified"]] or None
    return out, problems


def changes(item: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """Only the fields that differ, so that the diff shows the edit and nothing else."""
    return {k: v for k, v in values.items() if item.get(k) != v and not (v in (None, []) and k not in item)}


# --- pages ---------------------------------------------------------------------------------------------

def _matches(item: dict[str, Any], needle: str) -> bool:
    names = [str(item.get(k, "")) for k in ("slug", "name", "short_name", "code")]
    names += [str(x) for x in item.get("informal_names") or []]
    return any(needle in unaccent(n).lower() for n in names)


async def list_page(request: web.Request) -> web.StreamResponse:
    query = request.query.get("q", "").strip()
    ws = await drafts.workspace(engine_of(request), state(request).config)
    active = {p.get("slug"): p for p in procedures_of(forms.parsed(ws.active, KIND))}
    needle = unaccent(query).lower()
    data = forms.parsed(ws.files, KIND)
    field_names = field_names_of(data)
    rows = []
    for item in procedures_of(data):
        if needle and not _matches(item, needle):
            continue
        slug = str(item.get("slug", ""))
        rows.append({"slug": slug, "name": item.get("short_name") or item.get("name") or slug,
                     "field": field_names.get(str(item.get("field")), str(item.get("field"))),
                     "verified": bool(item.get("verified")), "drafted": active.get(slug) != item,
                     "problems": sum(len(v) for v in forms.problems_under(ws.problems,
                                                                          f"catalog: procedure {slug}: ").values())})
    return await render(request, "flow_procedures.html", title="Thủ tục", rows=rows, query=query,
                        catalog_problems=[p for p in ws.problems if p.startswith("catalog")])


def _slug(request: web.Request) -> str:
    return f"{request.match_info['field']}/{request.match_info['name']}"


async def form_page(request: web.Request, *, status: int = 200, values: dict[str, Any] | None = None,
                    extra: dict[str, list[str]] | None = None, text: str | None = None) -> web.StreamResponse:
    """`text`: the sentence to read with the active set and the draft (after a POST, the one it carried)."""
    slug = _slug(request)
    text = text if text is not None else request.query.get("text", "")
    ws = await drafts.workspace(engine_of(request), state(request).config)
    item = find(forms.parsed(ws.files, KIND), slug)
    if item is None:
        raise web.HTTPNotFound(text=f"slug: no procedure {slug}")
    problems = forms.problems_under(ws.problems, f"catalog: procedure {slug}: ")
    by_field: dict[str, list[str]] = {}
    for path, messages in [*problems.items(), *(extra or {}).items()]:
        name = path.split(".")[0]
        by_field.setdefault(name if name in BY_NAME or name == "unverified" else "", []).extend(messages)
    return await render(request, "flow_procedure.html", status=status, title=str(item.get("short_name", slug)),
                        slug=slug, field=field_names_of(forms.parsed(ws.files, KIND)).get(str(item.get("field")), ""),
                        groups=GROUPS,
                        values=values or shown_values(item), problems=by_field, checkable=CHECKABLE,
                        labels={f.name: f.label for f in FIELDS}, drafted=KIND in ws.draft_contents,
                        saved=request.query.get("saved") == "1", text=text, reading=forms.compare(request, ws, text),
                        others=[p for p in ws.problems if not p.startswith(f"catalog: procedure {slug}: ")])


async def form_get(request: web.Request) -> web.StreamResponse:
    return await form_page(request)


async def save(request: web.Request) -> web.StreamResponse:
    slug = _slug(request)
    form = await request.post()
    values = submitted(form)
    text = str(form.get("text", ""))[:500]
    stored, wrong_type = typed(values)
    if wrong_type:  # nothing is stored: such a value cannot even be written into the file
        return await form_page(request, status=422, values=values, extra=wrong_type, text=text)
    ws = await drafts.workspace(engine_of(request), state(request).config)
    item = find(forms.parsed(ws.files, KIND), slug)
    if item is None:
        raise web.HTTPNotFound(text=f"slug: no procedure {slug}")
    edit = changes(item, stored)
    try:
        content = toml_edit.set_procedure(KIND, ws.files[KIND], slug, edit)
        problems = await forms.save_edit(request, ws, KIND, content, f"procedure {slug}: {', '.join(edit)}")
    except InvalidInput as e:
        return await form_page(request, status=422, values=values, extra={"": e.problems}, text=text)
    if any(p.startswith(f"catalog: procedure {slug}: ") for p in problems):
        return await form_page(request, status=422, values=values, text=text)
    query = {"saved": "1", **({"text": text} if text else {})}
    raise web.HTTPFound(f"{PREFIX}/flows/procedures/{slug}?{urlencode(query)}")


def _routes(*spec: tuple[str, str, Callable[..., Any]]) -> tuple[Route, ...]:
    return tuple(Route(m, p, h, "flows.edit") for m, p, h in spec)


PAGES = ConsolePages(routes=_routes(
    ("GET", "/flows/procedures", list_page),
    ("GET", "/flows/procedures/{field}/{name}", form_get),
    ("POST", "/flows/procedures/{field}/{name}", save),
))
