"""Latency of message understanding, beside a naive rapidfuzz baseline measured in the same run.

    python bench/nlu.py [--dev FILE] [--repeat N] [--against GIT-REF]

Messages: tests/text/data/nlu-fresh.jsonl plus the --dev file when given. Catalogs: the real one, and a
synthetic one of 1,000 procedures (the real ones plus deterministic Vietnamese-like filler).
Baseline: `rapidfuzz.process.extractOne` of the normalised message over every procedure's name and
informal names (WRatio). Prints p50/p99 in microseconds, cold (first pass) and warm (later passes).

--against REF also times the understanding code of an earlier commit (its `flows/` package, with its
own catalog and lexicon, unpacked from git into a temporary folder and run in a child process) on the
same messages in the same run, and prints both: the cost of the changes since REF.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchkit import percentile  # noqa: E402 (bench/, this script's folder)
from rapidfuzz import fuzz, process  # noqa: E402

from flows.procedures.catalog import Catalog, build_catalog, load_catalog  # noqa: E402
from flows.text.lexicon import load_lexicon  # noqa: E402
from flows.text.normalize import normalize  # noqa: E402
from flows.text.reading import Reading  # noqa: E402
from flows.text.talk import CUES, Talk, load_talk  # noqa: E402
from flows.text.understand import DEFAULT_THON_NAMES, Understander  # noqa: E402
from flows.tomlfile import FlowFiles  # noqa: E402

FRESH = ROOT / "tests" / "text" / "data" / "nlu-fresh.jsonl"

_VERBS = ["Đăng ký", "Cấp", "Cấp lại", "Xác nhận", "Chứng thực", "Giải quyết", "Thay đổi", "Gia hạn",
          "Hỗ trợ", "Điều chỉnh", "Thu hồi", "Công nhận", "Đề nghị", "Tiếp nhận", "Miễn giảm"]
_OBJECTS = ["giấy phép", "giấy chứng nhận", "trợ cấp", "hồ sơ", "thẻ", "sổ theo dõi", "quyết định",
            "hợp đồng", "biên bản", "danh sách", "kinh phí", "tiền hỗ trợ", "chứng chỉ", "bằng khen"]
_TOPICS = ["kinh doanh hộ cá thể", "xây dựng nhà ở", "đất nông nghiệp", "môi trường", "nuôi trồng thủy sản",
           "du lịch cộng đồng", "lễ hội văn hóa", "giáo dục mầm non", "khám chữa bệnh", "việc làm",
           "hoạt động tôn giáo", "câu lạc bộ thể thao", "khuyến nông", "thú y", "thủy lợi nội đồng",
           "điện sinh hoạt", "dân quân tự vệ", "thi đua khen thưởng", "bảo trợ xã hội", "người khuyết tật",
           "hộ nghèo", "nước sạch nông thôn", "chợ truyền thống", "karaoke", "homestay", "ghe du lịch",
           "cây xanh đô thị", "mộ phần gia tộc", "nhà văn hóa thôn", "phòng cháy chữa cháy"]
_QUALIFIERS = ["lần đầu", "có thời hạn", "tạm thời", "cho hộ gia đình", "cho cá nhân", "cho tổ chức",
               "theo yêu cầu", "tại cấp xã", "trường hợp đặc biệt", "khi thay đổi địa chỉ"]
_FIELDS = ["ho-tich", "chung-thuc", "nguoi-co-cong", "bhxh", "gtvt", "don-thu", "cu-tru"]


def synthetic_catalog(real: Catalog, total: int = 1000, seed: int = 20260101) -> Catalog:
    """The real procedures plus deterministic filler up to `total`."""
    rng = random.Random(seed)
    procs: list[dict[str, object]] = [p.model_dump() for p in real.procedures]
    seen = {p["slug"] for p in procs}
    i = 0
    while len(procs) < total:
        verb, obj, topic, qual = (rng.choice(x) for x in (_VERBS, _OBJECTS, _TOPICS, _QUALIFIERS))
        name = f"{verb} {obj} {topic} {qual}"
        field = _FIELDS[i % len(_FIELDS)]
        slug = f"{field}/synthetic-{i:04d}"
        i += 1
        if slug in seen:
            continue
        seen.add(slug)
        procs.append({
            "slug": slug, "name": name, "short_name": f"{verb} {obj} {topic}", "field": field,
            "papers": [f"Đơn đề nghị {obj}", "Căn cước"], "time_text": f"{rng.randint(1, 15)} ngày làm việc",
            "fee_text": "Không thu phí", "where": "UBND phường", "verified": True,
            "informal_names": [f"xin {obj} {topic}", f"làm {obj} {topic.split()[0]}"],
            "keywords": [topic, obj, f"{obj} {topic.split()[0]}"],
        })
    return build_catalog({"procedure": procs})


def _percentiles(samples: Sequence[float]) -> tuple[float, float]:
    return percentile(list(samples), 50), percentile(list(samples), 99)


# Wall clock by default; --cpu times this thread's CPU only (time.thread_time), which a machine shared with
# other work disturbs far less: it leaves out the time the process waits for a core.
CLOCK = time.perf_counter


def _time(fn: Callable[[str], object], messages: Sequence[str]) -> list[float]:
    out = []
    for m in messages:
        t = CLOCK()
        fn(m)
        out.append((CLOCK() - t) * 1e6)
    return out


def _baseline(catalog: Catalog) -> Callable[[str], object]:
    choices = [normalize(t) for p in catalog.procedures for t in (p.name, *p.informal_names)]
    return lambda text: process.extractOne(normalize(text), choices, scorer=fuzz.WRatio)


def _with_layer(u: Understander, talk: Talk, slug: str) -> Callable[[str], object]:
    """The text work of one turn with the conversation layer, through the layer's own per-turn reading
    (flows/text/reading.py): understanding the message, its clauses when it may ask for two things, the
    aspect, every cue group the layer reads, the switch and redirect cues, and the closest detail of a topic."""

    def run(text: str) -> object:
        r = Reading(text, u.understand, talk)
        for cue in (*CUES, "out_of_scope"):
            r.has(cue)
        return r.aspect, r.switch, r.redirect, r.needs, r.best_fact([slug, "#general"], None)

    return run


def bench(label: str, catalog: Catalog, messages: Sequence[str], repeat: int) -> None:
    t = time.perf_counter()
    lexicon = load_lexicon()
    u = Understander(catalog, lexicon, DEFAULT_THON_NAMES)
    build_ms = (time.perf_counter() - t) * 1000
    talk = load_talk(FlowFiles.from_folder(), u.canon, lexicon.classes, None, lexicon.cues)
    layer = _with_layer(u, talk, catalog.procedures[0].slug)
    layer_times = _time(layer, messages)
    for _ in range(repeat):
        layer_times += _time(layer, messages)
    base = _baseline(catalog)
    cold = _time(u.understand, messages)
    base_cold = _time(base, messages)
    warm: list[float] = []
    base_warm: list[float] = []
    for _ in range(repeat):
        warm += _time(u.understand, messages)
        base_warm += _time(base, messages)
    print(f"{label}: {len(catalog.procedures)} procedures, {len(messages)} messages, built in {build_ms:.0f} ms")
    for name, ours, theirs in (("cold", cold, base_cold), ("warm", warm, base_warm)):
        (p50, p99), (b50, b99) = _percentiles(ours), _percentiles(theirs)
        print(f"  {name}: understand p50 {p50:7.0f} µs  p99 {p99:7.0f} µs | baseline extractOne "
              f"p50 {b50:7.0f} µs  p99 {b99:7.0f} µs | ratio p50 {p50 / b50:4.1f}x  p99 {p99 / b99:4.1f}x")
    (l50, l99), (w50, w99) = _percentiles(layer_times), _percentiles(warm)
    print(f"  with the conversation layer: p50 {l50:7.0f} µs  p99 {l99:7.0f} µs | "
          f"ratio to understand alone p50 {l50 / w50:4.1f}x  p99 {l99 / w99:4.1f}x")


# Run in the child with the earlier commit's flows/ first on sys.path: time its default understander.
_CHILD = """
import json, sys, time
from flows.text.understand import load_default_understander
messages, repeat = json.load(open(sys.argv[1], encoding="utf-8")), int(sys.argv[2])
clock = getattr(time, sys.argv[3])
u = load_default_understander()
def run():
    out = []
    for m in messages:
        t = clock(); u.understand(m); out.append((clock() - t) * 1e6)
    return out
cold = run()
warm = [x for _ in range(repeat) for x in run()]
print(json.dumps({"cold": cold, "warm": warm}))
"""


def previous_build(ref: str, messages: Sequence[str], repeat: int) -> dict[str, list[float]]:
    """Timings of `ref`'s understander on the same messages, measured in a child process."""
    archive = subprocess.run(["git", "archive", ref, "flows"], cwd=ROOT, check=True, capture_output=True).stdout
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(tmp, filter="data")
        data = Path(tmp) / "messages.json"
        data.write_text(json.dumps(list(messages), ensure_ascii=False), encoding="utf-8")
        args = [sys.executable, "-c", _CHILD, str(data), str(repeat), CLOCK.__name__]
        out = subprocess.run(args, cwd=tmp, check=True, capture_output=True, text=True,
                             env={"PYTHONPATH": tmp, "PATH": ""}).stdout
    timings: dict[str, list[float]] = json.loads(out)
    return timings


def compare(ref: str, messages: Sequence[str], repeat: int) -> None:
    u = Understander(load_catalog(), load_lexicon(), DEFAULT_THON_NAMES)
    now = {"cold": _time(u.understand, messages)}
    now["warm"] = [x for _ in range(repeat) for x in _time(u.understand, messages)]
    before = previous_build(ref, messages, repeat)
    print(f"this build vs {ref} (real catalogs, {len(messages)} messages):")
    for name in ("cold", "warm"):
        (p50, p99), (b50, b99) = _percentiles(now[name]), _percentiles(before[name])
        print(f"  {name}: this build p50 {p50:7.0f} µs  p99 {p99:7.0f} µs | {ref} p50 {b50:7.0f} µs  p99 {b99:7.0f} µs"
              f" | ratio p50 {p50 / b50:4.2f}x  p99 {p99 / b99:4.2f}x")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dev", help="extra labelled JSONL file whose texts are added to the messages")
    ap.add_argument("--repeat", type=int, default=5, help="warm passes over the messages")
    ap.add_argument("--against", metavar="REF", help="also time this earlier commit's understanding code")
    ap.add_argument("--cpu", action="store_true", help="time CPU used by the thread instead of the wall clock")
    args = ap.parse_args(argv)
    global CLOCK
    if args.cpu:
        CLOCK = time.thread_time
    print(f"clock: {CLOCK.__name__}")
    files = [FRESH, *([Path(args.dev)] if args.dev else [])]
    messages = [json.loads(line)["text"] for f in files for line in f.open(encoding="utf-8") if line.strip()]
    real = load_catalog()
    bench("real catalog", real, messages, args.repeat)
    bench("synthetic catalog", synthetic_catalog(real), messages, args.repeat)
    if args.against:
        compare(args.against, messages, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
