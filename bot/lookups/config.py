"""Configuration of dossier and căn cước lookups: `[privacy]` (hashing key, retention, failure limit)
and `[imports]` (which spreadsheet headers hold which field, which status labels mean which status)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from storage.lookups.models import DOSSIER_STATUSES, ID_CARD_STATUSES

DOSSIER_FIELDS = ("code", "procedure", "status", "received_on", "due_on", "result_on", "missing_papers",
                  "pickup_place", "phone")
ID_CARD_FIELDS = ("receipt_no", "id_number", "birth_date", "status", "pickup_place", "ready_on")


class PrivacyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # HMAC-SHA256 key for số định danh, dates of birth, phone digits and user ids. A secret: set it with
    # MOTCUA_PRIVACY__HASH_KEY. Changing it makes every stored hash unmatchable (re-import the records).
    # Empty: lookups, imports and the push API are off.
    hash_key: str = ""
    record_retention_days: int = Field(30, ge=1)  # after a dossier is returned or a card collected/mailed
    audit_retention_days: int = Field(365, ge=1)  # the lookup audit trail (legal minimum: unverified)
    # Residents' messages, the bot's replies and unanswered questions (they may hold personal data).
    conversation_retention_days: int = Field(30, ge=1)
    # CSV lists of households Zalo could not reach (names, phones, addresses) written for the thôn teams.
    export_retention_days: int = Field(30, ge=1)
    # Who was sent each announcement, household by household; each run's counts are kept after this.
    broadcast_retention_days: int = Field(90, ge=1)
    max_failed_lookups: int = Field(5, ge=1)
    failure_window_hours: int = Field(24, ge=1)

    @field_validator("hash_key")
    @classmethod
    def _long_enough(cls, v: str) -> str:
        if v and len(v) < 32:
            raise ValueError("must be at least 32 characters (e.g. `python -c 'import secrets; "
                             "print(secrets.token_urlsafe(32))'`)")
        return v


# Headers seen in one-stop (một cửa) and police exports; matched ignoring case, accents and spaces.
_DOSSIER_COLUMNS = {
    "code": ["Mã hồ sơ", "Mã số hồ sơ", "Số hồ sơ", "Mã HS"],
    "procedure": ["Tên thủ tục", "Thủ tục", "Thủ tục hành chính", "Tên TTHC"],
    "status": ["Trạng thái", "Tình trạng", "Trạng thái hồ sơ", "Tình trạng hồ sơ"],
    "received_on": ["Ngày tiếp nhận", "Ngày nhận hồ sơ", "Ngày nộp"],
    "due_on": ["Ngày hẹn trả", "Ngày hẹn trả kết quả", "Hạn xử lý", "Hạn giải quyết"],
    "result_on": ["Ngày có kết quả", "Ngày trả kết quả", "Ngày hoàn thành"],
    "missing_papers": ["Giấy tờ cần bổ sung", "Nội dung bổ sung", "Yêu cầu bổ sung"],
    "pickup_place": ["Nơi trả kết quả", "Nơi nhận kết quả", "Địa điểm trả kết quả"],
    "phone": ["Số điện thoại", "Điện thoại", "SĐT", "4 số cuối SĐT", "Số điện thoại đăng ký"],
}
_ID_CARD_COLUMNS = {
    "receipt_no": ["Số biên nhận", "Số phiếu hẹn", "Số giấy hẹn", "Mã hồ sơ", "Mã biên nhận"],
    "id_number": ["Số định danh", "Số định danh cá nhân", "Số CCCD", "Số căn cước", "Số ĐDCN"],
    "birth_date": ["Ngày sinh", "Ngày tháng năm sinh"],
    "status": ["Trạng thái", "Tình trạng", "Tình trạng thẻ"],
    "pickup_place": ["Nơi trả", "Nơi trả thẻ", "Nơi nhận thẻ", "Nơi trả kết quả"],
    "ready_on": ["Ngày hẹn trả", "Ngày trả thẻ", "Ngày có thẻ", "Ngày trả kết quả"],
}
# Labels the systems show, mapped to the normalised statuses (section 3.2 of the facts sheet).
_DOSSIER_LABELS = {
    "Mới nộp": "submitted", "Chờ tiếp nhận": "submitted", "Đã tiếp nhận": "received",
    "Tiếp nhận": "received", "Đang xử lý": "processing", "Đang giải quyết": "processing",
    "Đang thẩm định": "processing", "Chờ ký": "processing", "Chờ phê duyệt": "processing",
    "Yêu cầu bổ sung": "need_more", "Chờ bổ sung": "need_more", "Bổ sung hồ sơ": "need_more",
    "Cần bổ sung": "need_more", "Chờ nộp phí": "awaiting_payment", "Chờ thanh toán": "awaiting_payment",
    "Chờ nộp phí, lệ phí": "awaiting_payment", "Từ chối": "rejected", "Từ chối tiếp nhận": "rejected",
    "Không đủ điều kiện": "rejected", "Đã có kết quả": "result_ready", "Chờ trả kết quả": "result_ready",
    "Có kết quả": "result_ready", "Đã trả kết quả": "returned", "Hoàn thành": "returned",
    "Đã hoàn thành": "returned", "Quá hạn": "overdue", "Trễ hạn": "overdue", "Trễ hẹn": "overdue",
    "Dừng xử lý": "withdrawn", "Rút hồ sơ": "withdrawn", "Đã rút": "withdrawn", "Hủy": "withdrawn",
    "Đã hủy": "withdrawn",
}
_ID_CARD_LABELS = {
    "Đang xử lý": "processing", "Đang sản xuất": "processing", "Chờ duyệt": "processing",
    "Đã có thẻ": "ready", "Chờ trả": "ready", "Chờ trả thẻ": "ready", "Chờ nhận": "ready",
    "Đã sản xuất xong": "ready", "Đã trả": "collected", "Đã nhận": "collected", "Đã trả thẻ": "collected",
    "Đã nhận thẻ": "collected", "Đã gửi bưu điện": "mailed", "Gửi bưu chính": "mailed",
    "Đã chuyển phát": "mailed", "Đã gửi bưu chính": "mailed",
}


class ImportsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dossier_columns: dict[str, list[str]] = _DOSSIER_COLUMNS
    id_card_columns: dict[str, list[str]] = _ID_CARD_COLUMNS
    dossier_statuses: dict[str, str] = _DOSSIER_LABELS
    id_card_statuses: dict[str, str] = _ID_CARD_LABELS

    @field_validator("dossier_columns", "id_card_columns", "dossier_statuses", "id_card_statuses", mode="before")
    @classmethod
    def _over_defaults(cls, v: object, info: ValidationInfo) -> object:
        """A configured entry adds to or replaces the default one with the same key; others stay."""
        default = cls.model_fields[info.field_name or ""].default
        return {**default, **v} if isinstance(v, dict) else v

    @model_validator(mode="after")
    def _known(self) -> ImportsConfig:
        problems = [f"{name}.{field}: unknown field (known: {', '.join(known)})"
                    for name, known, mapping in (("dossier_columns", DOSSIER_FIELDS, self.dossier_columns),
                                                 ("id_card_columns", ID_CARD_FIELDS, self.id_card_columns))
                    for field in mapping if field not in known]
        problems += [f"{name}.{label}: unknown status {code!r} (known: {', '.join(known)})"
                     for name, known, mapping in (("dossier_statuses", DOSSIER_STATUSES, self.dossier_statuses),
                                                  ("id_card_statuses", ID_CARD_STATUSES, self.id_card_statuses))
                     for label, code in mapping.items() if code not in known]
        if problems:
            raise ValueError("; ".join(problems))
        return self
