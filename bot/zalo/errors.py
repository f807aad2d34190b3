"""What to do about a Zalo OpenAPI error code.

Zalo answers errors with HTTP 200 and `{"error": <code != 0>}`; the sender acts on the
disposition, not on raw codes. Keep every known code in `_CODES` (one table).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from enum import Enum


class Disposition(Enum):
    OK = "ok"
    REFRESH_TOKEN = "refresh_token"  # refresh the access token once, then retry
    RETRY = "retry"  # transient: back off and retry
    NIGHT_BAN = "night_ban"  # retry after 06:00 Vietnam time
    QUOTA = "quota"  # stop this kind of send and report
    UNREACHABLE = "unreachable"  # permanent for this user on Zalo; another channel may carry it
    PERMANENT = "permanent"  # the request itself is wrong; retrying will not help


# Local codes for failures that never reached a Zalo answer (Zalo's own codes are listed below;
# none of these are used by the OpenAPI as far as the sources show).
HTTP_ERROR = -1  # non-200 HTTP status
NETWORK_ERROR = -2  # connection refused/reset, DNS
TIMEOUT = -3  # no answer within the client timeout (the message may still have been sent)
BAD_RESPONSE = -4  # HTTP 200 but not a Zalo JSON answer
INTERNAL_ERROR = -5  # our own delivery code failed before or after the call
NO_TOKEN = -6  # no usable access token (Zalo unreachable for a refresh, or the OA must be reconnected)

_CODES: dict[int, tuple[Disposition, str]] = {
    0: (Disposition.OK, "Thành công / success"),
    HTTP_ERROR: (Disposition.RETRY, "Lỗi HTTP / HTTP error"),
    NETWORK_ERROR: (Disposition.RETRY, "Lỗi kết nối / connection error"),
    TIMEOUT: (Disposition.RETRY, "Hết thời gian chờ / timed out"),
    BAD_RESPONSE: (Disposition.RETRY, "Phản hồi không hợp lệ / malformed response"),
    INTERNAL_ERROR: (Disposition.RETRY, "Lỗi nội bộ khi gửi / internal delivery error"),
    NO_TOKEN: (Disposition.RETRY, "Chưa có access token dùng được / no usable access token"),
    -32: (Disposition.RETRY, "Vượt giới hạn tần suất / rate limit reached"),
    -216: (Disposition.REFRESH_TOKEN, "Access token không hợp lệ / access token invalid"),
    -220: (Disposition.REFRESH_TOKEN, "Access token hết hạn / access token expired"),
    -234: (Disposition.NIGHT_BAN, "Không gửi loại tin này 22h–6h / night ban for this message type"),
    -211: (Disposition.QUOTA, "Vượt hạn mức gửi / quota exceeded"),
    -218: (Disposition.QUOTA, "Vượt hạn mức gửi / quota exceeded"),
    -213: (Disposition.UNREACHABLE, "Người dùng chưa quan tâm OA / user does not follow the OA"),
    -230: (Disposition.UNREACHABLE, "Quá thời hạn tương tác / outside the interaction window"),
    -232: (Disposition.UNREACHABLE, "Quá thời hạn tương tác / outside the interaction window"),
    -227: (Disposition.UNREACHABLE, "Người dùng không hoạt động 45+ ngày / user inactive 45+ days"),
    -244: (Disposition.UNREACHABLE, "Người dùng chặn loại tin này / user blocked this message type"),
    -100: (Disposition.PERMANENT, "Tham số không hợp lệ hoặc tệp hết hạn / invalid param or upload expired"),
    -201: (Disposition.PERMANENT, "Tham số không hợp lệ / invalid parameter"),
    # OAuth (token endpoint) code seen for a spent or unknown refresh token.
    -14014: (Disposition.PERMANENT, "Refresh token không hợp lệ / invalid refresh token"),
}

_VN = timezone(timedelta(hours=7))  # Asia/Ho_Chi_Minh has no DST; avoids a tzdata dependency
NIGHT_BAN_END_HOUR = 6


def codes_of(disposition: Disposition) -> tuple[int, ...]:
    return tuple(code for code, (d, _) in _CODES.items() if d is disposition)


def classify(code: int) -> Disposition:
    """Disposition for a Zalo error code; any unknown non-zero code is PERMANENT."""
    entry = _CODES.get(code)
    return entry[0] if entry else Disposition.PERMANENT


def describe(code: int) -> str:
    entry = _CODES.get(code)
    return entry[1] if entry else f"Lỗi Zalo {code} / Zalo error {code}"


def night_ban_ends(now: datetime) -> datetime:
    """The next 06:00 Vietnam time after `now` (aware), when a NIGHT_BAN send may be retried."""
    local = now.astimezone(_VN)
    end = local.replace(hour=NIGHT_BAN_END_HOUR, minute=0, second=0, microsecond=0)
    if end <= local:
        end += timedelta(days=1)
    return end
