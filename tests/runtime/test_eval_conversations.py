"""`python -m bot eval-conversations`: grading, seed data, and the targets on the development set."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bot.cli import main
from bot.testing.conversations import fold, passes

DEV = os.environ.get("MOTCUA_DEV_CONVERSATIONS")


def summary(out: str) -> dict:
    return json.loads(out.strip().splitlines()[-1])


def test_grading_ignores_case_and_diacritics() -> None:
    assert fold("Đăng Ký KẾT HÔN") == "dang ky ket hon"
    assert passes("Lệ phí: MIỄN phí", ["mien"], ["8.000"])
    assert not passes("Lệ phí 8.000 đồng, miễn cho trẻ em", ["miễn"], ["8.000"])
    assert not passes("Xin lỗi", ["miễn"], [])


def write_set(folder: Path, conversations: list[dict]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(c, ensure_ascii=False) for c in conversations]
    (folder / "conversations.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_plays_taps_and_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "news.jsonl").write_text(json.dumps({
        "title": "Lịch tiêm chủng tháng này", "summary": "Tiêm tại trạm y tế", "body": "Mang sổ tiêm chủng.",
        "category": "y-te-dich-benh", "published_at": "2026-12-01 08:00", "by": "test"}, ensure_ascii=False) + "\n",
        encoding="utf-8")
    write_set(tmp_path, [
        {"id": "a", "style": "diacritics", "capability": "news", "tags": [], "turns": [
            {"say": "tin tức mới", "must_any": ["tiêm chủng"]},
            {"say": "x", "tap": "Lịch tiêm chủng tháng này", "must_any": ["sổ tiêm chủng"]}]},
        {"id": "b", "style": "english", "capability": "news", "tags": [], "turns": [
            {"say": "menu", "must_any": ["không có trong câu trả lời"]},
            {"say": "menu", "must_any": ["Tin tức"], "follow_up": True},
            {"say": "unscored"}]},
    ])
    assert main(["eval-conversations", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    s = summary(out)
    assert s["counts"] == {"turns": [3, 4], "follow_ups": [1, 1], "first_turns": [1, 2]}
    assert s["turns"] == 0.75 and s["first_turns"] == 0.5
    assert s["non_english"] == {"turns": 1.0, "follow_ups": None, "first_turns": 1.0}
    assert s["by_style"] == {"diacritics": 1.0, "english": 0.5}
    assert "b turn 1: 'menu'" in out


def test_unusable_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval-conversations", str(tmp_path)]) == 2
    assert "conversations.jsonl" in capsys.readouterr().err
    (tmp_path / "conversations.jsonl").write_text('{"turns": []}\n', encoding="utf-8")
    assert main(["eval-conversations", str(tmp_path)]) == 2
    assert "conversations.jsonl:1" in capsys.readouterr().err


@pytest.mark.skipif(not DEV, reason="set MOTCUA_DEV_CONVERSATIONS to the folder of the development conversations")
def test_dev_conversations_meet_targets(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval-conversations", str(DEV)]) == 0
    s = summary(capsys.readouterr().out)
    # Every conversation, English visitors' included, is held to the targets.
    assert s["turns"] >= 0.90, s
    assert s["follow_ups"] >= 0.85, s
