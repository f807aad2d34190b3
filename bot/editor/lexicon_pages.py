"""The lexicon (abbreviations, dialect, English words, word classes, intent cues) and the conversation
layer's aspect words as tables of rows to edit, add and remove, with a "test a sentence" box: the
normalised words and the top procedures with the active set and with the draft, side by side."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from bot.console.pages import ConsolePages, Route
from bot.console.web import PREFIX, engine_of, render, state
from bot.editor import drafts, forms
from bot.editor.toml_tables import RowEdit, edit_rows
from bot.errors import InvalidInput
from flows.text.normalize import unaccent

NEW_ROWS = 3  # empty rows under a table to add to it


@dataclass(frozen=True)
class TableSpec:
    kind: str
    path: tuple[str, ...]
    lists: bool  # each row is a list of phrases (one per line), else one text
    title: str
    help: str
    key_label: str
    value_label: str

    @property
    def prefix(self) -> str:
        """How the loader's problem lines name this table."""
        return f"{self.kind.removesuffix('.toml')}: {'.'.join(self.path)}"


TABLES = {
    "abbreviations": TableSpec("lexicon.toml", ("abbreviations",), False, "Viết tắt",
                               "Chữ viết tắt (một chữ hoặc một cụm) → cách viết đầy đủ.", "Viết tắt", "Nghĩa là"),
    "dialect": TableSpec("lexicon.toml", ("dialect",), False, "Tiếng địa phương (khi viết có dấu)",
                         "Chỉ so khi bà con viết có dấu (không dấu dễ lẫn: mô/mộ). Mỗi khóa là một chữ.",
                         "Chữ địa phương", "Nghĩa là"),
    "dialect_plain": TableSpec("lexicon.toml", ("dialect_plain",), False, "Tiếng địa phương (cả khi không dấu)",
                               "Những chữ không lẫn với chữ khác khi viết không dấu.", "Chữ địa phương", "Nghĩa là"),
    "english": TableSpec("lexicon.toml", ("english",), False, "Tiếng Anh → tiếng Việt",
                         "Cụm tiếng Anh khách hay dùng và cách nói tiếng Việt tương ứng.", "Tiếng Anh", "Tiếng Việt"),
    "classes": TableSpec("lexicon.toml", ("classes",), True, "Lớp từ",
                         "Dùng trong mẫu câu như {kin} (người thân). Mỗi dòng một từ.", "Tên lớp", "Các từ"),
    "cues": TableSpec("lexicon.toml", ("cues",), True, "Cụm từ nhận biết ý định",
                      "Mỗi dòng một mẫu: {lop} là một từ của lớp, * bỏ qua 0–3 chữ, chữ? có hoặc không.",
                      "Nhóm", "Mẫu câu"),
    "aspects": TableSpec("conversation.toml", ("aspects",), True, "Từ hỏi về từng khía cạnh",
                         "Câu hỏi tiếp theo về giấy tờ (papers), lệ phí (fee), thời hạn (time), nơi nộp (place), "
                         "trực tuyến (online), điều kiện (conditions), thứ Tư (wednesday). Mỗi dòng một mẫu.",
                         "Khía cạnh", "Từ, mẫu câu"),
    "talk_cues": TableSpec("conversation.toml", ("cues",), True, "Tín hiệu trong hội thoại",
                           "Cảm ơn, hỏi bot là người hay máy, xin đợi, bực mình, tang gia, \"còn … thì sao\"… "
                           "Mỗi dòng một mẫu.", "Nhóm", "Mẫu câu"),
}


def _spec(request: web.Request) -> tuple[str, TableSpec]:
    name = request.match_info["table"]
    if name not in TABLES:
        raise web.HTTPNotFound(text=f"table: {name} is not an editable table")
    return name, TABLES[name]


def rows_of(ws: drafts.Workspace, spec: TableSpec) -> dict[str, Any]:
    node: Any = forms.parsed(ws.files, spec.kind)
    for part in spec.path:
        node = node.get(part, {}) if isinstance(node, dict) else {}
    return node if isinstance(node, dict) else {}


def table_problems(problems: list[str], spec: TableSpec, keys: list[str]) -> tuple[dict[str, list[str]], list[str]]:
    """The problems of this table: by row (the line names the key: "browse[3]: bad token", "kin.2: …") and
    for the table as a whole ("missing group 'browse'", "keys must be single words: …")."""
    by_row: dict[str, list[str]] = {}
    whole: list[str] = []
    for line in problems:
        if not line.startswith(spec.prefix):
            continue
        rest = line[len(spec.prefix):].lstrip(".: ")
        key = next((k for k in sorted(keys, key=len, reverse=True)
                    if rest.startswith(k) and rest[len(k):len(k) + 1] in ("[", ".", ":")), None)
        if key is None:
            whole.append(rest)
        else:
            by_row.setdefault(key, []).append(rest[len(key):].lstrip(".: "))
    return by_row, whole


def _shown(value: Any) -> str:
    return "\n".join(str(x) for x in value) if isinstance(value, list) else str(value)


async def table_page(request: web.Request, *, status: int = 200, error: list[str] | None = None,
                     asked: dict[str, str] | None = None) -> web.StreamResponse:
    """`asked`: the filter and sentence (q, text) when they came with a POST rather than in the query."""
    name, spec = _spec(request)
    asked = asked if asked is not None else dict(request.query)
    query, text = asked.get("q", "").strip(), asked.get("text", "")
    ws = await drafts.workspace(engine_of(request), state(request).config)
    rows = rows_of(ws, spec)
    by_row, whole = table_problems(ws.problems, spec, list(rows))
    needle = unaccent(query).lower()
    shown = [{"key": k, "value": _shown(v), "problems": by_row.get(k, [])} for k, v in rows.items()
             if not needle or needle in unaccent(f"{k} {_shown(v)}").lower()]
    return await render(request, "flow_table.html", status=status, title=spec.title, name=name, spec=spec,
                        rows=shown, total=len(rows), new_rows=range(NEW_ROWS), query=query, text=text,
                        whole=whole, error=error or [], tables=TABLES, saved=request.query.get("saved") == "1",
                        drafted=spec.kind in ws.draft_contents, reading=forms.compare(request, ws, text))


def edits_of(form: Any, lists: bool) -> list[RowEdit]:
    originals, keys = form.getall("original", []), form.getall("key", [])
    values, removed = form.getall("value", []), set(form.getall("remove", []))
    out = []
    for i, (original, key, value) in enumerate(zip(originals, keys, values, strict=False)):
        text = str(value).replace("\r\n", "\n")
        parsed: str | list[str] = forms.lines(text) if lists else text.strip()
        if not original and not str(key).strip():
            continue  # an empty new row
        out.append(RowEdit(str(original), str(key).strip(), parsed, str(i) in removed))
    return out


async def save(request: web.Request) -> web.StreamResponse:
    name, spec = _spec(request)
    form = await request.post()
    ws = await drafts.workspace(engine_of(request), state(request).config)
    edits = edits_of(form, spec.lists)
    back = {k: str(form.get(k, "")) for k in ("q", "text") if form.get(k)}
    try:
        content = edit_rows(spec.kind, ws.files[spec.kind], spec.path, edits)
        problems = await forms.save_edit(request, ws, spec.kind, content, f"{'.'.join(spec.path)}: "
                                         + ", ".join(e.key or e.original for e in edits))
    except InvalidInput as e:
        return await table_page(request, status=422, error=e.problems, asked=back)
    if any(p.startswith(spec.prefix) for p in problems):
        return await table_page(request, status=422, asked=back)
    raise web.HTTPFound(f"{PREFIX}/flows/lexicon/{name}?{urlencode({**back, 'saved': '1'})}")


async def index(request: web.Request) -> web.StreamResponse:
    text = request.query.get("text", "")
    ws = await drafts.workspace(engine_of(request), state(request).config)
    counts = {name: len(rows_of(ws, spec)) for name, spec in TABLES.items()}
    return await render(request, "flow_lexicon.html", title="Từ điển của bot", tables=TABLES, counts=counts,
                        text=text, reading=forms.compare(request, ws, text),
                        drafted=[k for k in ("lexicon.toml", "conversation.toml") if k in ws.draft_contents])


PAGES = ConsolePages(routes=(
    Route("GET", "/flows/lexicon", index, "flows.edit"),
    Route("GET", "/flows/lexicon/{table}", table_page, "flows.edit"),
    Route("POST", "/flows/lexicon/{table}", save, "flows.edit"),
))
