#!/usr/bin/env python3
"""Builds the era-date test set `operators/tests/data/era_bio_sentences.tsv` from real
text: the biographies (`desc`) of the Song poets in chinese-poetry's
`dist/quantangshi/authors.song.json` (chinese-poetry 2.0.1, MIT, (c) 2016 JackeyGao).

Their editors annotate reign-era dates with the Gregorian year in parentheses:
`後漢乾祐元年（九四八），樞密使郭威討李守真`. A sentence (up to 。！？) with every
parenthesised annotation removed is a real dated sentence, and the annotation is its label:
`後漢乾祐元年，樞密使郭威討李守真` → 948 at the 年 of the annotated date.

Split: the first half of the author list is `dev` (tune on it), the second `heldout`
(measure it only at the end). A (sentence, place) pair already taken is not taken again,
so no held-out sentence repeats a dev one.

Dropped, each with its reason in `era_bio_sentences_dropped.tsv`:
- the annotation does not follow an era name of the era table: a bare year number
  (`三年（一○九六）`, the era named earlier) or a misspelt era (`政我` for 政和);
- the annotated year is not a reading of the date in the standard chronology (the
  annotation is wrong: `慶曆二年（一○四一）`, 慶曆二年 is 1042);
- the date has two Chinese readings and the sentence cannot decide between them: it names
  no ruler or dynasty in front of the era (真宗天禧, 後漢乾祐, 順帝至元 decide) and no person
  a reader would place (read by hand: `DECIDED_BY_READING`). `乾德元年，平荆湖` can be
  前蜀 919 or 宋 963 by its words alone.

Usage:  python3 scripts/data/build_era_sentences.py [--corpus DIR] [--eras operators/data/eras]
            [--out operators/tests/data]
The output is byte-identical from run to run.
"""
import argparse
import collections
import csv
import json
import os
import re

CORPUS = os.path.expanduser("~/.cache/wenflow/corpus/chinese-poetry")
DIGITS = "〇一二三四五六七八九"
# A year number and 年 (or 載), then the annotation: 乾祐元年（九四八）, 天寶十四載（七五五）.
ANNOTATED = re.compile(r"(元|[〇○一二三四五六七八九十廿]+)([年載])（([○〇一二三四五六七八九]+)）")
# A ruler written in front of an era: a temple or posthumous title (真宗, 太祖, 順帝).
RULER_TITLE = re.compile(r"[\u4e00-\u9fff]{1,2}[宗祖帝]$")

# Sentences with two Chinese readings that a reader can decide from a person the sentence
# names (read by hand): (author of the biography, era date) -> why.
DECIDED_BY_READING = {
    ("陸游", "乾道元年"): "names 張浚 (1097-1164) and 龍大淵, 曾覿, officials of 宋孝宗: 宋, not 西夏",
    ("張宋卿", "乾道元年"): "names 張浚 (1097-1164), a minister of 南宋: 宋, not 西夏",
    ("陳俊卿", "乾道元年"): "names 錢端禮 (1109-1177), a minister of 南宋: 宋, not 西夏",
    ("李若川", "乾道元年"): "an envoy to 金, which was founded in 1115: 宋 1165, not 西夏 1068",
    ("王曙", "天禧四年"): "names 寇準 (961-1023): 宋 1020, not 西遼 1181",
    ("杜堯臣", "天禧四年"): "names 真宗 (宋) earlier in the sentence: 宋, not 西遼",
}


def year_number(s):
    if s == "元":
        return 1
    total, cur = 0, 0
    for c in s:
        if c == "十":
            total += max(cur, 1) * 10
            cur = 0
        elif c == "廿":
            total += 20
        else:
            cur = DIGITS.index(c)
    return total + cur


def gregorian(s):
    return int("".join(str(DIGITS.index(c)) for c in s.replace("○", "〇")))


def strip_annotations(text):
    """The text without （…） groups (innermost first), and for each kept character its
    index in the original."""
    keep = list(range(len(text)))
    while True:
        chars = [text[i] for i in keep]
        s = "".join(chars)
        m = re.search(r"（[^（）]*）", s)
        if not m:
            return s, keep
        del keep[m.start():m.end()]


def load_tables(folder):
    eras = collections.defaultdict(list)
    with open(os.path.join(folder, "eras.tsv"), encoding="utf-8") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            eras[r["era"]].append(r)
    dynasty_names = set()
    with open(os.path.join(folder, "dynasties.tsv"), encoding="utf-8") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            dynasty_names.add(r["dynasty"])
    with open(os.path.join(folder, "dynasty_names.tsv"), encoding="utf-8") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            dynasty_names.add(r["name"])
    dynasty_names.discard("")
    return eras, dynasty_names


def chinese(row):
    # sanmiao's calendar streams: 4 is Japan, 5-8 the Korean states; the rest are Chinese.
    return row["cal_stream"] not in ("4", "5", "6", "7", "8")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=CORPUS)
    ap.add_argument("--eras", default="operators/data/eras")
    ap.add_argument("--out", default="operators/tests/data")
    a = ap.parse_args()
    eras, dynasty_names = load_tables(a.eras)
    longest = max(len(k) for k in eras)
    authors = json.load(open(os.path.join(a.corpus, "dist/quantangshi/authors.song.json"), encoding="utf-8"))

    kept, dropped, seen = [], [], set()
    reasons = collections.Counter()
    used_readings = set()
    for index, author in enumerate(authors):
        split = "dev" if index < len(authors) // 2 else "heldout"
        desc = author.get("desc") or ""
        for m in ANNOTATED.finditer(desc):
            s = max(desc.rfind(c, 0, m.start()) for c in "。！？") + 1
            e = min([i for i in (desc.find(c, m.end()) for c in "。！？") if i >= 0] or [len(desc)])
            raw = desc[s:e]
            sentence, index_of = strip_annotations(raw)
            nian = m.start(2) - s  # index of 年 in the raw sentence
            if nian not in index_of:
                continue  # the date itself is inside an annotation
            at = index_of.index(nian)
            number_start = at - len(m.group(1))
            before = sentence[max(0, number_start - longest):number_start]
            era = next((before[-n:] for n in range(longest, 1, -1) if len(before) >= n and before[-n:] in eras), None)
            label = gregorian(m.group(3))
            date = (era or "") + m.group(1) + m.group(2)
            item = {"split": split, "text": sentence, "at": str(at), "date": date, "years": str(label),
                    "source": author["name"]}

            def drop(reason):
                reasons[reason.split(":")[0]] += 1
                dropped.append(dict(item, reason=reason))

            if era is None:
                drop("no era name before the year number (a bare year, or a misspelt era)")
                continue
            n = year_number(m.group(1))
            readings = [r for r in eras[era] if n <= int(r["years"])]
            years = {int(r["first_year"]) + n - 1 for r in readings}
            if label not in years:
                drop(f"annotation disagrees with the chronology: {date} is {sorted(years)}")
                continue
            china = sorted({(int(r["first_year"]) + n - 1, r["dynasty"]) for r in readings if chinese(r)})
            if len({y for y, _ in china}) > 1:
                front = sentence[:number_start - len(era)]
                named = RULER_TITLE.search(front) or any(front.endswith(d) for d in dynasty_names)
                by_reading = DECIDED_BY_READING.get((author["name"], date))
                if by_reading:
                    used_readings.add((author["name"], date))
                elif not named:
                    drop("two Chinese readings and the sentence names no ruler, dynasty or person that decides: "
                         + ", ".join(f"{d} {y}" for y, d in china))
                    continue
            key = (sentence, at)
            if key in seen:
                reasons["repeats a sentence already taken"] += 1
                continue
            seen.add(key)
            kept.append(item)
    missing = set(DECIDED_BY_READING) - used_readings
    if missing:
        raise SystemExit(f"DECIDED_BY_READING entries not found: {sorted(missing)}")

    header = [
        "# Era dates in real sentences: the Song poets' biographies (desc) of chinese-poetry 2.0.1",
        "# dist/quantangshi/authors.song.json (MIT, (c) 2016 JackeyGao), whose editors annotate each",
        "# reign-era date with its year: 後漢乾祐元年（九四八）. `text` is the sentence with every （…）",
        "# annotation removed, `at` the character offset of the annotated date's 年 in it, `years` the",
        "# annotated year. `split`: dev (first half of the author list) or heldout (second half).",
        "# Built by scripts/data/build_era_sentences.py; dropped sentences and why:",
        "# era_bio_sentences_dropped.tsv.",
    ]
    fields = ["split", "text", "at", "date", "years", "source"]
    write(os.path.join(a.out, "era_bio_sentences.tsv"), header, fields, kept)
    write(os.path.join(a.out, "era_bio_sentences_dropped.tsv"),
          ["# Annotated dates of authors.song.json left out of era_bio_sentences.tsv, with the reason."],
          fields + ["reason"], dropped)
    counts = collections.Counter(i["split"] for i in kept)
    print(f"kept {len(kept)} ({counts['dev']} dev, {counts['heldout']} heldout); "
          + "; ".join(f"{k}: {v}" for k, v in sorted(reasons.items())))


def write(path, header, fields, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("\n".join(header) + "\n")
        w = csv.DictWriter(f, fieldnames=fields, delimiter="\t", lineterminator="\n",
                           quoting=csv.QUOTE_NONE, escapechar=None)
        w.writeheader()
        w.writerows(rows)


if __name__ == "__main__":
    main()
