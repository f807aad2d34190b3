"""Configuration of households' topics and of announcements (`[[topics]]` and `[broadcasts]`)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class TopicConfig(BaseModel):
    """A subject residents can subscribe to; it is also the category of news articles."""

    model_config = ConfigDict(extra="forbid")
    slug: str
    name: str
    default: bool = False  # part of "the essentials" offered during onboarding

    @field_validator("slug")
    @classmethod
    def _slug(cls, v: str) -> str:
        if not _SLUG.match(v):
            raise ValueError("must be lower-case ascii words joined by '-', e.g. dien-nuoc")
        return v


# Section 5 of the procedures facts sheet (a design proposal, not an official list).
DEFAULT_TOPICS: list[TopicConfig] = [TopicConfig(slug=s, name=n, default=d) for s, n, d in (
    ("thong-bao-chinh-quyen", "Thông báo của UBND phường", True),
    ("thu-tuc-hanh-chinh", "Thủ tục hành chính, Thứ Tư không hẹn", True),
    ("thien-tai-bao-lu", "Bão, lũ, thiên tai", True),
    ("y-te-dich-benh", "Y tế, tiêm chủng, dịch bệnh", True),
    ("moi-truong", "Môi trường, thu gom rác", True),
    ("dien-nuoc", "Lịch cắt điện, cắt nước", True),
    ("thue-phi", "Thuế, phí, hạn nộp", False),
    ("bhxh-bhyt", "BHXH, BHYT", False),
    ("chinh-sach-xa-hoi", "Chính sách xã hội, trợ cấp", False),
    ("quan-su-tuyen-quan", "Quân sự, tuyển quân", False),
    ("an-ninh-trat-tu", "An ninh trật tự, cảnh báo lừa đảo", True),
    ("giao-thong-duong-thuy", "Giao thông, đường thủy", False),
    ("du-lich-le-hoi", "Du lịch, lễ hội", False),
    ("nong-nghiep-thuy-san", "Nông nghiệp, thủy sản", False),
    ("giao-duc", "Giáo dục, tuyển sinh", False),
    ("dat-dai-xay-dung", "Đất đai, xây dựng", False),
    ("bau-cu-dan-chu", "Bầu cử, dân chủ cơ sở", False),
    ("chuyen-doi-so", "Chuyển đổi số, VNeID", False),
)]


def _unique_slugs(topics: list[TopicConfig]) -> list[TopicConfig]:
    seen: set[str] = set()
    for t in topics:
        if t.slug in seen:
            raise ValueError(f"topic slug {t.slug!r} is listed twice")
        seen.add(t.slug)
    return topics


Topics = Annotated[list[TopicConfig], AfterValidator(_unique_slugs)]


class BroadcastsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Broadcast messages per second; replies keep their own `zalo.send_rate_per_second`, so keep the sum
    # under what Zalo allows the OA.
    rate_per_second: float = Field(10.0, gt=0)
    # Non-urgent announcements are held during these local hours ("" = never quiet).
    quiet_hours: str = "21:00-07:00"
    # A due send found late after downtime goes out if at most this late, otherwise it is marked missed.
    max_lateness_seconds: int = Field(1800, ge=0)
    # A second person must approve an announcement before it is scheduled.
    approval_required: bool = False
    # One process schedules at a time; another takes over this long after the holder stops renewing.
    lease_seconds: float = Field(30.0, gt=0)
    poll_interval_seconds: float = Field(1.0, gt=0)
    expand_batch_size: int = Field(1000, ge=1)
    send_batch_size: int = Field(200, ge=1)
    send_concurrency: int = Field(8, ge=1)
    # After Zalo answers "quota exceeded" (-211/-218), broadcast messages are not tried for this long: the
    # rest of the audience is recorded at once as not reached (for the fallback channel and the report).
    quota_pause_minutes: float = Field(60.0, gt=0)
    # Channel that automatically carries an announcement to households Zalo could not reach.
    fallback_channel: Literal["", "sms", "csv"] = ""
    sms_gateway_url: str = ""
    sms_gateway_token: str = ""  # secret: MOTCUA_BROADCASTS__SMS_GATEWAY_TOKEN
    sms_max_chars: int = Field(306, ge=70)
    sms_ascii_only: bool = True  # many Vietnamese brandname gateways only take unaccented text
    csv_dir: str = "data/unreachable"
    # Picture shown in Zalo's request-info form during onboarding.
    request_info_image_url: str = ""

    @field_validator("quiet_hours")
    @classmethod
    def _quiet(cls, v: str) -> str:
        if v:
            start, sep, end = v.partition("-")
            if not sep or not (_HHMM.match(start) and _HHMM.match(end)):
                raise ValueError("must look like 21:00-07:00, or be empty")
        return v

    @model_validator(mode="after")
    def _sms_needs_url(self) -> BroadcastsConfig:
        if self.fallback_channel == "sms" and not self.sms_gateway_url:
            raise ValueError("sms_gateway_url is required when fallback_channel is \"sms\"")
        return self
