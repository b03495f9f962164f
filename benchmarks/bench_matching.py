"""Matcher benchmark: scan speed, build time and peak memory at 1,000 / 10,000 / 100,000 registered terms.

    python benchmarks/bench_matching.py            # 10 MB of text, all three sizes
    python benchmarks/bench_matching.py --mb 1     # quicker run
    python benchmarks/bench_matching.py --repeat 3 # keep the fastest of three scans (busy machines)

Each size runs in a fresh subprocess so its peak memory (ru_maxrss) is its own. The text is generated
Korean: words of everyday syllables mixed with name syllables (so prefixes of names, i.e. partial automaton
matches, are frequent), plus registered names with particles, spaced, dotted, reversed or respelled, jamo,
Latin words and a few keywords. Pages of 64 KB are scanned one by one, as the crawler would. Targets: per-MB
scan time at 100,000 terms at most twice that at 1,000; peak memory at 100,000 terms at most 400 MB. All
names are generated.

Times are reported as wall and CPU (process) time; the 10M-step loop shows how busy the machine was. The
registered names come from 50 surnames x 2,000 given names, so at 100,000 terms most full names that can occur
are registered and a page holds several times more true and respelled matches than at 1,000: that extra output
is part of the measured cost.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from matching import Matcher, TermSpec

SURNAMES = (
    "김이박최정강조윤장임한오서신권황안송류홍전고문양손배백허유남심"
    "노하곽성차주우구민진나지엄채원천방공현함변염여추"
)
GIVEN = (
    "민서지현준우연수영진아은하윤재성호동혜정희경승유나다라주원예채소태선상훈빈혁철규석"
    "건도범솔율찬한결인용미란숙순자옥경명보아름별빛솜봄새결겸균근기길남녕단담덕두래령록룡린마"
)
FILLER = (
    "오늘",
    "사진",
    "학교",
    "친구",
    "정말",
    "그리고",
    "있음",
    "아는",
    "사람",
    "주세요",
    "요청",
    "영상",
    "진짜",
    "우리",
    "수업",
    "생일",
    "축하",
    "맛집",
    "날씨",
    "뉴스",
    "공지",
    "댓글",
    "ㅋㅋㅋ",
    "ㅠㅠ",
    "2024년",
    "3학년",
    "hello",
    "link",
    "https://t.me/somechannel",
    "#태그",
    "ㅎㅎ",
    "...",
    "!!",
    "?",
    "에서",
    "하는",
    "것",
    "있는",
    "없는",
    "그냥",
    "너무",
    "많이",
    "보고",
    "싶다",
    "했다",
    "이거",
    "저거",
    "다시",
    "같이",
    "먼저",
    "Seoul",
    "news",
    "video",
    "photo",
    "update",
    "일상",
    "기록",
    "모음",
    "정보",
    "후기",
    "추천",
    "리뷰",
    "사용",
    "방법",
    "시간",
    "사람들",
    "오후",
    "아침",
    "저녁",
    "주말",
    "여행",
    "카페",
    "음식",
    "가격",
    "이벤트",
)
# Frequent syllables of everyday Korean, for words that are not names.
COMMON = (
    "이다는에의가고하지을서기를로사한수있리자대어도나아정보시인라일전부게해주여것적그상제성국들만"
    "과장요면스오원모동중세우구신조경소드내없거마연위화무심개방회분년생계공미실선유관교학행비간물발된야"
    "결당명업입진외데안니말식체통영러력양운반점차강평감출법산민표론날던매활살단현편언속두호"
)
PARTICLES = ("이", "가", "은", "는", "을", "를", "의", "한테", "랑", "도", "씨", "")
SIZES = (1_000, 10_000, 100_000)


def given_names(seed: int = 3) -> list[str]:
    """A fixed stock of 2,000 two-syllable given names: like real ones, a small part of all syllable pairs."""
    rng = random.Random(seed)
    names: set[str] = set()
    while len(names) < 2000:
        names.add(rng.choice(GIVEN) + rng.choice(GIVEN))
    return sorted(names)


def make_specs(count: int, seed: int = 7) -> list[TermSpec]:
    """`count` terms over cases of up to three terms: a full name, sometimes a nickname, sometimes a handle.

    Full names combine a surname with a given name from the stock (so at 100,000 terms most possible full
    names are registered, some by several cases, as popular names are in reality).
    """
    rng = random.Random(seed)
    stock = given_names()
    specs: list[TermSpec] = []
    case_id = 0
    while len(specs) < count:
        case_id += 1
        name = rng.choice(SURNAMES) + rng.choice(stock)
        specs.append(TermSpec(case_id, len(specs), name, "name"))
        if len(specs) < count and rng.random() < 0.3:
            specs.append(TermSpec(case_id, len(specs), name[1:] + "이", "alias"))
        if len(specs) < count and rng.random() < 0.2:
            specs.append(TermSpec(case_id, len(specs), f"user{case_id}_{rng.randint(10, 99)}", "handle"))
    return specs


def make_text(megabytes: float, specs: list[TermSpec], seed: int = 11) -> str:
    rng = random.Random(seed)
    names = [s.text for s in specs if s.kind == "name"]
    target = int(megabytes * 1_000_000)
    words: list[str] = []
    size = 0
    while size < target:
        roll = rng.random()
        if roll < 0.45:
            # Name-like noise: everyday syllables mixed with name syllables, so prefixes of names are
            # frequent.
            word = "".join(
                rng.choice(GIVEN + SURNAMES) if rng.random() < 0.35 else rng.choice(COMMON)
                for _ in range(rng.randint(2, 4))
            )
        elif roll < 0.988:
            word = rng.choice(FILLER)
        elif roll < 0.99:
            word = rng.choice(("합성", "능욕", "딥페이크", "갠텔"))
        elif roll < 0.997:
            word = rng.choice(names) + rng.choice(PARTICLES)
        else:
            name = rng.choice(names)
            word = rng.choice((" ".join(name), ".".join(name), name[0] + "ㅇ" + name[1:], name[::-1]))
        words.append(word)
        size += len(word.encode("utf-8")) + 1
    return " ".join(words)


def measure(count: int, megabytes: float, page_kb: int, repeat: int) -> dict[str, float]:
    specs = make_specs(count)
    text = make_text(megabytes, specs)
    started, started_cpu = time.perf_counter(), time.process_time()
    matcher = Matcher.build(specs)
    build_seconds, build_cpu = time.perf_counter() - started, time.process_time() - started_cpu
    page = page_kb * 1000 // 3  # characters per page (Korean is three bytes a character in UTF-8)
    scan_seconds = scan_cpu = float("inf")
    found = 0
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        found = 0
        for offset in range(0, len(text), page):
            found += len(matcher.scan(text[offset : offset + page]))
        scan_seconds = min(scan_seconds, time.perf_counter() - started)
        scan_cpu = min(scan_cpu, time.process_time() - started_cpu)
    mb = len(text.encode("utf-8")) / 1_000_000
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "terms": count,
        "mb": mb,
        "build_s": build_seconds,
        "build_cpu_s": build_cpu,
        "scan_s": scan_seconds,
        "scan_cpu_s": scan_cpu,
        "mb_per_s": mb / scan_seconds,
        "cpu_s_per_mb": scan_cpu / mb,
        "matches": found,
        "peak_mb": peak_mb,
        "reference_loop_s": _reference_loop(),
    }


def _reference_loop() -> float:
    """CPU seconds for ten million trivial Python iterations: a yardstick for how busy this machine is."""
    started = time.process_time()
    total = 0
    for number in range(10_000_000):
        total += number
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mb", type=float, default=10.0, help="megabytes of text to scan (default 10)")
    parser.add_argument(
        "--page-kb", type=int, default=64, help="size of each scanned page in KB (default 64)"
    )
    parser.add_argument(
        "--repeat", type=int, default=2, help="scan the text this many times, keep the fastest"
    )
    parser.add_argument("--terms", type=int, help="measure one size in this process (used internally)")
    args = parser.parse_args()
    if args.terms:
        print(json.dumps(measure(args.terms, args.mb, args.page_kb, args.repeat)))
        return
    results = []
    for count in SIZES:
        output = subprocess.run(
            [
                sys.executable,
                __file__,
                "--terms",
                str(count),
                "--mb",
                str(args.mb),
                "--page-kb",
                str(args.page_kb),
                "--repeat",
                str(args.repeat),
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        result = json.loads(output.strip().splitlines()[-1])
        results.append(result)
        print(
            f"{count:>7} terms: build {result['build_s']:6.2f} s (cpu {result['build_cpu_s']:5.2f})  "
            f"scan {result['mb']:.1f} MB in {result['scan_s']:6.2f} s (cpu {result['scan_cpu_s']:6.2f}) = "
            f"{result['mb_per_s']:5.2f} MB/s  peak {result['peak_mb']:4.0f} MB  matches {result['matches']}  "
            f"[10M-step python loop: {result['reference_loop_s']:.2f} s cpu]",
            flush=True,
        )
    ratio = results[-1]["cpu_s_per_mb"] / results[0]["cpu_s_per_mb"]
    print(f"per-MB scan cpu time at {SIZES[-1]:,} terms / at {SIZES[0]:,} terms: {ratio:.2f} (target <= 2)")
    print(f"peak memory at {SIZES[-1]:,} terms: {results[-1]['peak_mb']:.0f} MB (target <= 400)")
    print(
        "(cpu = process time, less disturbed than wall time by other work on the machine; the python loop is "
        "about 0.4 s cpu on an idle machine of this size)"
    )


if __name__ == "__main__":
    main()
