from __future__ import annotations

import pytest

from bot.zalo.signature import compute_signature, sign_header, verify_signature

# The captured text event from the platform reference, byte for byte as one compact line.
BODY = (
    '{"app_id":"2553928453557884079","sender":{"id":"6142494823..."},'
    '"recipient":{"id":"3662729599332560487"},"event_name":"user_send_text",'
    '"message":{"text":"Chào A4B","msg_id":"cb31dff1c39642cc1b83"},'
    '"timestamp":"1699003881354","user_id_by_app":"979122185046046317"}'
).encode()
APP_ID = "2553928453557884079"
OA_ID = "3662729599332560487"
TS = "1699003881354"
SECRET = "oa-secret-for-tests"
# Computed once with hashlib.sha256(id + body + timestamp + secret), independently of the module.
MAC_APP_ID = "0686bf816fe30af47d1d4280281e2038db38f681d69c295ed933bfdc03025c4a"
MAC_OA_ID = "4833aec0f782949a62c8e4d155641795f309e399dd4906f5e9f8445b7bc4f118"


def test_compute_matches_known_values() -> None:
    assert compute_signature(APP_ID, BODY, TS, SECRET) == MAC_APP_ID
    assert compute_signature(OA_ID, BODY, TS, SECRET) == MAC_OA_ID
    assert sign_header(APP_ID, BODY, TS, SECRET) == "mac=" + MAC_APP_ID


@pytest.mark.parametrize("header", [
    "mac=" + MAC_APP_ID,
    "MAC=" + MAC_APP_ID.upper(),
    "  mac=" + MAC_APP_ID + "  ",
    "mac= " + MAC_APP_ID,
    MAC_APP_ID,
])
def test_accepts_header_forms(header: str) -> None:
    assert verify_signature(BODY, header, TS, SECRET, [APP_ID])


def test_id_variant_switch() -> None:
    app_header, oa_header = "mac=" + MAC_APP_ID, "mac=" + MAC_OA_ID
    assert verify_signature(BODY, app_header, TS, SECRET, [APP_ID])
    assert not verify_signature(BODY, oa_header, TS, SECRET, [APP_ID])
    assert verify_signature(BODY, oa_header, TS, SECRET, [OA_ID])
    assert not verify_signature(BODY, app_header, TS, SECRET, [OA_ID])
    assert verify_signature(BODY, app_header, TS, SECRET, [APP_ID, OA_ID])
    assert verify_signature(BODY, oa_header, TS, SECRET, [APP_ID, OA_ID])
    assert not verify_signature(BODY, app_header, TS, SECRET, [])


def test_rejects_wrong_secret_and_tampering() -> None:
    header = "mac=" + MAC_APP_ID
    assert not verify_signature(BODY, header, TS, "another-secret", [APP_ID])
    assert not verify_signature(BODY, header, TS, "", [APP_ID])
    assert not verify_signature(BODY.replace(b"A4B", b"A4C"), header, TS, SECRET, [APP_ID])
    assert not verify_signature(BODY + b" ", header, TS, SECRET, [APP_ID])
    assert not verify_signature(BODY, header, "1699003881355", SECRET, [APP_ID])


@pytest.mark.parametrize("header", [
    None, "", "   ", "mac=", "mac=xyz", "mac=" + MAC_APP_ID[:-1], "mac=" + MAC_APP_ID + "00",
    "sha256=" + MAC_APP_ID, "mac=" + "g" * 64, "mac:" + MAC_APP_ID,
])
def test_rejects_missing_or_garbled_header(header: str | None) -> None:
    assert not verify_signature(BODY, header, TS, SECRET, [APP_ID, OA_ID])
