"""The procedure catalog: admin-editable TOML data, validated with pydantic.

`load_catalog(files)` returns a `Catalog` or raises `CatalogError` whose message has one line per
problem, each naming the procedure slug and the field path, so an admin can fix the file directly.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from dataclasses import field as dataclass_field
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator
from pydantic import Field as PydanticField

from flows.problems import Problems, problem_lines
from flows.tomlfile import FlowFiles

FieldSlug = Literal["ho-tich", "chung-thuc", "nguoi-co-cong", "bhxh", "gtvt", "don-thu", "cu-tru"]
FIELD_SLUGS: tuple[str, ...] = get_args(FieldSlug)

# Who actually decides; the card must say so when it is not the People's Committee.
HandledBy = Literal["ubnd", "cong_an", "bhxh", "so_noi_vu"]
HANDLER_NAMES: dict[str, str] = {
    "ubnd": "UBND phường",
    "cong_an": "Công an phường",
    "bhxh": "Cơ quan Bảo hiểm xã hội",
    "so_noi_vu": "Sở Nội vụ thành phố",
}

DEFAULT_FIELD_NAMES: dict[str, str] = {
    "ho-tich": "Hộ tịch",
    "chung-thuc": "Chứng thực",
    "nguoi-co-cong": "Người có công",
    "bhxh": "Bảo hiểm xã hội, bảo hiểm y tế",
    "gtvt": "Giao thông vận tải",
    "don-thu": "Kiến nghị, khiếu nại, tố cáo",
    "cu-tru": "Căn cước, cư trú (Công an phường)",
}


class Procedure(BaseModel):
    """One administrative procedure as residents see it.

    working_days: 0 means "trong ngày"; None when the sheet gives no firm figure.
    fee_amount: headline amount in đồng (per case, page or copy as fee_text says); 0 = free;
    None when there is no single fixed amount.
    unverified: names of fields whose figures the facts sheet marks "chưa xác minh".
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    slug: str
    code: str | None = None
    name: str
    short_name: str
    field: FieldSlug
    papers: list[str]
    sets: int | None = 1
    time_text: str
    working_days: int | None = None
    fee_text: str
    fee_amount: int | None = None
    fee_basis: str | None = None
    where: str
    handled_by: HandledBy = "ubnd"
    conditions: str | None = None
    online: Literal["none", "partial", "full"] = "none"
    online_url: str | None = PydanticField(default=None, validate_default=True)
    # "Ngày thứ Tư không hẹn": solved within the day on Wednesdays (the ⭐ badge; only where working_days
    # is 0, so the badge never contradicts the card's time), or only received then (taken in, confirmed
    # or guided without an appointment): the Wednesday list's wording for it.
    same_day_wednesday: bool = False
    wednesday_received: str | None = None
    informal_names: list[str] = []
    keywords: list[str] = []
    sources: list[str] = []
    verified: bool
    unverified: list[str] = PydanticField(default_factory=list, validate_default=True)

    # Field validators (not a model validator) so each error names the field path.
    @field_validator("field")
    @classmethod
    def _slug_in_field(cls, v: str, info: ValidationInfo) -> str:
        slug = info.data.get("slug")
        if isinstance(slug, str) and not slug.startswith(v + "/"):
            raise ValueError(f"slug {slug!r} must start with its field '{v}/'")
        return v

    @field_validator("fee_amount", "sets", "working_days")
    @classmethod
    def _not_negative(cls, v: int | None) -> int | None:
        if v is not None and v < 0:
            raise ValueError("must not be negative")
        return v

    @field_validator("same_day_wednesday")
    @classmethod
    def _same_day_means_within_the_day(cls, v: bool, info: ValidationInfo) -> bool:
        if v and info.data.get("working_days") != 0:
            raise ValueError("only for a procedure done within the day (working_days = 0); "
                             "use wednesday_received for one only received on Wednesdays")
        return v

    @field_validator("wednesday_received")
    @classmethod
    def _received_is_not_same_day(cls, v: str | None, info: ValidationInfo) -> str | None:
        if v is not None and not v.strip():
            raise ValueError("must not be empty (leave it out when not on the Wednesday list)")
        if v is not None and info.data.get("same_day_wednesday"):
            raise ValueError("a procedure solved the same day (same_day_wednesday) is not only received")
        return v

    @field_validator("online_url")
    @classmethod
    def _url_when_online(cls, v: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("online", "none") != "none" and not v:
            raise ValueError("required when online is 'partial' or 'full'")
        return v

    @field_validator("unverified")
    @classmethod
    def _unverified_matches_flag(cls, v: list[str], info: ValidationInfo) -> list[str]:
        bad = [name for name in v if name not in cls.model_fields]
        if bad:
            raise ValueError(f"names unknown fields: {', '.join(bad)}")
        verified = info.data.get("verified")
        if verified is not None and verified == bool(v):
            raise ValueError("verified must be false exactly when this list is non-empty")
        return v


class Field(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    slug: FieldSlug
    name: str


class _CatalogFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = ""
    # The "Ngày thứ Tư không hẹn" list checked against the commune's official one: until then residents
    # are told it awaits confirmation (text wednesday_unverified).
    wednesday_verified: bool = False
    fields: dict[FieldSlug, str] = {}
    procedure: list[dict[str, Any]] = []


class ProcedureEnglish(BaseModel):
    """A procedure for English-speaking visitors (catalog.en.toml): the name with an English gloss and,
    when translated, the card's fields; a field left out is shown from the Vietnamese catalog."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    slug: str
    name: str
    papers: list[str] | None = None
    time_text: str | None = None
    fee_text: str | None = None
    where: str | None = None
    conditions: str | None = None

    @property
    def translated(self) -> bool:
        return self.papers is not None and self.time_text is not None and self.fee_text is not None


class _CatalogEnglishFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    fields: dict[FieldSlug, str] = {}
    procedure: list[ProcedureEnglish] = []


# Who decides, for English readers.
HANDLER_NAMES_EN: dict[str, str] = {
    "ubnd": "the ward People's Committee",
    "cong_an": "the ward police (Công an phường)",
    "bhxh": "the Social Insurance office (BHXH)",
    "so_noi_vu": "the city Department of Home Affairs",
}


@dataclass(frozen=True)
class Catalog:
    procedures: tuple[Procedure, ...]
    by_slug: dict[str, Procedure]
    fields: dict[str, Field]
    note: str = ""
    wednesday_verified: bool = False
    english: dict[str, ProcedureEnglish] = dataclass_field(default_factory=dict)
    field_names_en: dict[str, str] = dataclass_field(default_factory=dict)

    def same_day(self) -> list[Procedure]:
        """Procedures flagged as done the same day on Wednesdays (inferred list, see the file note)."""
        return [p for p in self.procedures if p.same_day_wednesday]

    def wednesday_list(self) -> tuple[list[str], list[str]]:
        """The "Ngày thứ Tư không hẹn" list as residents read it: (solved the same day, only received), one
        line each; procedures sharing a line (khiếu nại and tố cáo) appear once."""
        received = dict.fromkeys(p.wednesday_received for p in self.procedures if p.wednesday_received)
        return [p.short_name for p in self.same_day()], list(received)

    def in_field(self, field: str) -> list[Procedure]:
        return [p for p in self.procedures if p.field == field]


class CatalogError(Problems):
    """One line per problem, naming the file and field."""


def build_catalog(data: dict[str, Any]) -> Catalog:
    """Validate already-parsed TOML data; raises CatalogError listing every problem."""
    problems: list[str] = []
    try:
        file = _CatalogFile.model_validate(data)
    except ValidationError as e:
        raise CatalogError(problem_lines(e, "catalog", empty="(procedure)")) from None
    procedures: list[Procedure] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(file.procedure):
        given = raw.get("slug")
        slug = given if isinstance(given, str) else f"#{i + 1}"
        if slug in seen:
            problems.append(f"catalog: procedure {slug}: slug: duplicate (also procedure #{seen[slug] + 1})")
        else:
            seen[slug] = i
        try:
            procedures.append(Procedure.model_validate(raw))
        except ValidationError as e:
            problems.extend(problem_lines(e, f"catalog: procedure {slug}", empty="(procedure)"))
    if problems:
        raise CatalogError(problems)
    names = dict(DEFAULT_FIELD_NAMES)
    names.update(file.fields.items())
    fields = {slug: Field(slug=slug, name=names[slug]) for slug in FIELD_SLUGS}
    return Catalog(
        procedures=tuple(procedures),
        by_slug={p.slug: p for p in procedures},
        fields=fields,
        note=file.note,
        wednesday_verified=file.wednesday_verified,
    )


def with_english(catalog: Catalog, data: dict[str, Any]) -> Catalog:
    """The catalog with its English names and cards (catalog.en.toml); every slug must be in the catalog."""
    try:
        file = _CatalogEnglishFile.model_validate(data)
    except ValidationError as e:
        raise CatalogError(problem_lines(e, "catalog.en")) from None
    unknown = [p.slug for p in file.procedure if p.slug not in catalog.by_slug]
    if unknown:
        raise CatalogError([f"catalog.en: procedure {slug}: slug: not in the catalog" for slug in unknown])
    names: dict[str, str] = {str(slug): name for slug, name in file.fields.items()}
    return replace(catalog, english={p.slug: p for p in file.procedure}, field_names_en=names)


def load_catalog(files: FlowFiles | None = None) -> Catalog:
    """The catalog (`catalog.toml`), with its English (`catalog.en.toml`) when there is one; the shipped one
    when `files` is None."""
    files = FlowFiles.from_folder() if files is None else files
    catalog = build_catalog(files.read("catalog.toml", CatalogError, "catalog"))
    if "catalog.en.toml" not in files:
        return catalog
    return with_english(catalog, files.read("catalog.en.toml", CatalogError, "catalog"))
