#!/usr/bin/env python3
"""Builds wenflow's reign-era tables (operators/data/eras/) from the tables that ship in
the `sanmiao` package (PyPI, MIT, (c) 2025 Daniel Patrick Morgan), correcting the faults
listed in ARCHITECTURE §4, and derives simplified spellings from Unihan's
kSimplifiedVariant (Debian `unicode-data`, Unicode license) instead of sanmiao's own
simplified column (which has 宣德→亘德, 乾隆→干隆).

It also adds what wenflow needs beyond the source tables: the realm of each regime (china,
japan, korea; from sanmiao's calendar streams), ruler titles derived from the canonical
names, a short list of other names of rulers and regimes (`RULER_ALIASES`,
`DYNASTY_ALIASES`), and fixes of wrong dynasty tags (`DYNASTY_TAG_FIXES`).

Usage:  python3 scripts/data/build_eras.py [--sanmiao WHEEL_OR_DIR] [--out operators/data/eras]
Without --sanmiao it runs `pip download sanmiao==0.2.12 --no-deps` into a temporary folder.
Needs /usr/share/unicode/Unihan_Variants.txt.bz2 (apt-get install unicode-data).
"""
import argparse
import bz2
import collections
import csv
import io
import os
import re
import subprocess
import sys
import tempfile
import zipfile

SANMIAO = "sanmiao==0.2.12"

# Corrections: era_id -> (first year, last year, why). Years are astronomical (0 = 1 BC).
# Each was checked against the row's own Julian day numbers and the standard chronology.
FIXES = {
    "640": (1399, 1402, "建文元年 is 1399; the table says 1398"),
    "641": (1403, 1424, "永樂元年 is 1403; the table says 1402"),
    "753": (1056, 1063, "嘉祐 continued under 英宗 only through 嘉祐八年 (1063); the row said 1054-1067"),
    "750": (930, 934, "吳越 adopted 後唐's running 長興 era (元年 930); the row gave the adoption year 932"),
    "720": (960, 963, "南平 adopted 宋's running 建隆 era (元年 960); the row gave the adoption year 962"),
    "672": (927, 929, "南平 adopted 吳's running 乾貞 era (元年 927); the row gave the adoption year 928"),
    "761": (936, 944, "吳越 used 後晉's running 天福 era (元年 936); the row gave 941"),
    "738": (943, 951, "楚 adopted 南唐's running 保大 era (元年 943); the row gave the adoption year 950"),
    "629": (1321, 1323, "元 至治 ran 1321-1323; the table's end year 1223 is a typo"),
}

# Spellings texts use for an era besides the table's: (dynasty, era) -> other spellings.
# 唐文宗's 大和 (827-835) is very often written 太和 (in the 全唐詩 too).
ALIASES = {
    ("唐", "大和"): ["太和"],
}

# sanmiao's calendar streams (`cal_stream` of its dynasty table): 4 is Japan, 5 to 8 the
# Korean states; 1 to 3 and empty are Chinese. A regime's realm says which regimes an era
# name is read against by default (wenflow reads Chinese corpora: china). sanmiao 0.2.12 has
# no Vietnamese eras; a Vietnamese table would add the realm `vietnam`.
REALMS = {"4": "japan", "5": "korea", "6": "korea", "7": "korea", "8": "korea"}

# sanmiao's dynasty tags that point at the wrong regime: (name, dyn_id given) -> (right
# dyn_id, why). 百濟 (18 BC-660) and 高句麗 (37 BC-668) are the old kingdoms; the tags sent
# them to 後百濟 (900-936) and 後高句麗 (901-918).
DYNASTY_TAG_FIXES = {
    ("百濟", "139"): ("135", "百濟 is the kingdom of 18 BC-660 (dyn 135), not 後百濟 (139)"),
    ("高句麗", "140"): ("134", "高句麗 is the kingdom of 37 BC-668 (dyn 134), not 後高句麗 (140)"),
}

# Names texts use for a regime that sanmiao's tags lack (wenflow's own): name -> (dyn_id, why).
DYNASTY_ALIASES = {
    "倭": ("133", "the Chinese histories' name of Japan (倭國, 倭王)"),
    "倭國": ("133", "the Chinese histories' name of Japan"),
    "高麗": ("134", "Chinese texts of the Sui and Tang call 高句麗 高麗 (隋書 高麗傳, 征高麗); "
                  "sanmiao tags 高麗 as the later kingdom (918-1392) only"),
}

# Other names of rulers that sanmiao's ruler tags lack (wenflow's own, each a standard name
# of that ruler): ruler_id -> [(name, identifies the ruler alone)]. A name that identifies
# the ruler alone (建文帝, 溥儀) is also a RULER name of the gazetteer; the others (惠宗,
# 明皇) only resolve a date written after them (元惠宗至元三年).
RULER_ALIASES = {
    "15353": [("惠宗", False)],  # 元順帝 妥懽帖睦爾: 惠宗 is the temple name the 北元 gave him
    "15355": [("建文帝", True), ("惠宗", False)],  # 明 建文 朱允炆: 南明 gave the temple name 惠宗
    "15360": [("景帝", False), ("景泰帝", True)],  # 明 代宗 朱祁鈺 (景泰)
    "4151": [("明皇", False), ("唐明皇", False)],  # 唐 玄宗 李隆基 (唐明皇 is a PERSON of the author lists too)
    "10187": [("則天", False), ("武后", False), ("則天皇后", False)],  # 武周 聖神皇帝 武曌
    "15381": [("宣統帝", True), ("溥儀", True)],  # 清 宣統 愛新覺羅溥儀
    "3729": [("後主", False)],  # 蜀漢 後主 劉禪 (建興, 延熙, 景耀, 炎興)
}
# A title derived from a canonical name (順帝 from 順帝妥懽帖睦爾): the name's beginning up to
# its first 帝, 宗 or 祖, two to four characters. 皇帝 alone is no title.
TITLE = re.compile(r"^(.{1,3}?[帝宗祖])")
NOT_TITLES = {"皇帝"}

# Rows whose years are right (checked against the standard chronology) but whose Julian
# day numbers are not: the day numbers are dropped from the output.
JDN_FAULTS = {
    "18": "本始元年 is 73 BC as the row says; its day numbers point to 87 BC",
    "217": "西秦 更始元年 is 409 as the row says; its start day points to 400",
    "235": "北涼 義和元年 is 431 as the row says; its start day points to 461",
    "510": "宋 端拱元年 is 988 as the row says; its start day points to 986",
}


def jdn_year(jdn):
    """Astronomical year of a Julian day number (Julian calendar before 1582-10-15)."""
    j = int(float(jdn) + 0.5)
    if j >= 2299161:
        a = j + 32044
        b = (4 * a + 3) // 146097
        c = a - 146097 * b // 4
    else:
        b, c = 0, j + 32082
    d = (4 * c + 3) // 1461
    e = c - 1461 * d // 4
    m = (5 * e + 2) // 153
    return 100 * b + d - 4800 + m // 10


def unihan_simplified(path="/usr/share/unicode/Unihan_Variants.txt.bz2"):
    table = {}
    with bz2.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or "\tkSimplifiedVariant\t" not in line:
                continue
            code, _, values = line.rstrip("\n").split("\t")
            ch = chr(int(code[2:], 16))
            targets = [chr(int(v.split("<")[0][2:], 16)) for v in values.split()]
            # A character that is its own simplified form in some uses (乾 in 乾隆, 乾坤)
            # keeps itself: names must not be corrupted by a character-by-character map.
            table[ch] = ch if ch in targets else targets[0]
    return table


def simplify(text, table):
    return "".join(table.get(c, c) for c in text)


def open_sanmiao(spec):
    """Returns a function name -> CSV text from a wheel, a folder, or a fresh download."""
    if spec is None:
        tmp = tempfile.mkdtemp()
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", tmp, SANMIAO], check=True)
        spec = os.path.join(tmp, next(n for n in os.listdir(tmp) if n.endswith(".whl")))
    if spec.endswith(".whl"):
        z = zipfile.ZipFile(spec)
        return lambda name: z.read(f"sanmiao/data/{name}").decode("utf-8")
    return lambda name: open(os.path.join(spec, name), encoding="utf-8").read()


def rows(read, name):
    return list(csv.DictReader(io.StringIO(read(name))))


def intish(s):
    return "" if s in ("", None) else str(int(float(s)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sanmiao")
    ap.add_argument("--out", default="operators/data/eras")
    a = ap.parse_args()
    read = open_sanmiao(a.sanmiao)
    simp = unihan_simplified()
    os.makedirs(a.out, exist_ok=True)

    dynasties = {r["dyn_id"]: r for r in rows(read, "dynasty_table_dump.csv")}
    canonical = {}
    for r in rows(read, "rul_can_name.csv"):
        canonical.setdefault(r["person_id"], r["string"])

    eras = []
    applied = set()
    problems = []
    for r in rows(read, "era_table.csv"):
        if not r["era_name"]:
            continue  # reigns counted without an era name (秦, 西漢 before 建元)
        first, last = int(r["era_start_year"]), int(float(r["era_end_year"]))
        note = ""
        if r["era_id"] in FIXES:
            first, last, note = FIXES[r["era_id"]]
            applied.add(r["era_id"])
        # Sanity: a positive length, and the first day of the segment inside the era's years.
        if r["era_id"] in JDN_FAULTS:
            r["era_start_jdn"] = r["era_end_jdn"] = ""
            note = JDN_FAULTS[r["era_id"]] + " (day numbers dropped)"
        seg = jdn_year(r["era_start_jdn"]) if r["era_start_jdn"] else first
        if last < first or seg < first - 1 or seg > last + 1:
            problems.append(f"era row {r['era_id']} {r['era_name']} {first}-{last}, segment starts in {seg}")
        ruler = intish(r["ruler_id"])
        dyn = dynasties.get(r["dyn_id"], {})
        eras.append({
            "era_id": r["era_id"],
            "dyn_id": r["dyn_id"],
            "dynasty": dyn.get("dyn_name", ""),
            "ruler_id": ruler,
            "ruler": canonical.get(ruler, ""),
            "era": r["era_name"],
            "era_simplified": simplify(r["era_name"], simp),
            "first_year": first,
            "last_year": last,
            "years": last - first + 1,
            "segment_start_jdn": intish(r["era_start_jdn"]),
            "segment_end_jdn": intish(r["era_end_jdn"]),
            "cal_stream": intish(r["cal_stream"]),
            "fix": note,
        })
    if problems:
        sys.exit("rows that disagree with their own days (add a fix):\n" + "\n".join(problems))
    for e in list(eras):
        for alias in ALIASES.get((e["dynasty"], e["era"]), []):
            eras.append(dict(e, era_id=str(100000 + int(e["era_id"])), era=alias, era_simplified=simplify(alias, simp),
                             fix=f"variant spelling of {e['era']}"))
    missing = set(FIXES) - applied
    if missing:
        sys.exit(f"fixes not applied (rows missing): {sorted(missing)}")
    write(os.path.join(a.out, "eras.tsv"), eras)

    dyn_rows = [{
        "dyn_id": d["dyn_id"], "dynasty": d["dyn_name"], "dynasty_simplified": simplify(d["dyn_name"], simp),
        "first_year": intish(d["dyn_start_year"]), "last_year": intish(d["dyn_end_year"]), "part_of": intish(d["part_of"]),
        "realm": REALMS.get(intish(d["cal_stream"]), "china"),
    } for d in dynasties.values()]
    realm = {d["dyn_id"]: d["realm"] for d in dyn_rows}
    mixed = [e["era"] for e in eras if REALMS.get(e["cal_stream"], "china") != realm[e["dyn_id"]]]
    if mixed:
        sys.exit(f"eras whose calendar stream is of another realm than their regime's: {mixed[:10]}")
    write(os.path.join(a.out, "dynasties.tsv"), dyn_rows)
    tags = dynasty_names(rows(read, "dynasty_tags.csv"), simp)
    write(os.path.join(a.out, "dynasty_names.tsv"), tags)
    rulers = ruler_names(rows(read, "ruler_tags.csv"), eras, simp)
    write(os.path.join(a.out, "ruler_names.tsv"), rulers)
    origins = collections.Counter(r["origin"] for r in rulers)
    print(f"{len(eras)} eras, {len(dyn_rows)} dynasties ({dict(collections.Counter(realm.values()))}), "
          f"{len(tags)} dynasty names, {len(rulers)} ruler names ({dict(origins)}); {len(applied)} fixes")


def dynasty_names(tags, simp):
    """sanmiao's dynasty tags with DYNASTY_TAG_FIXES applied, then DYNASTY_ALIASES."""
    out, fixed = [], set()
    for t in tags:
        dyn_id, origin = t["dyn_id"], "sanmiao"
        if (t["string"], dyn_id) in DYNASTY_TAG_FIXES:
            dyn_id, origin = DYNASTY_TAG_FIXES[(t["string"], dyn_id)][0], "wenflow-fix"
            fixed.add((t["string"], t["dyn_id"]))
        out.append({"name": t["string"], "name_simplified": simplify(t["string"], simp), "dyn_id": dyn_id,
                    "origin": origin})
    missing = set(DYNASTY_TAG_FIXES) - fixed
    if missing:
        sys.exit(f"dynasty tag fixes not applied (tags missing): {sorted(missing)}")
    for name, (dyn_id, _why) in DYNASTY_ALIASES.items():
        out.append({"name": name, "name_simplified": simplify(name, simp), "dyn_id": dyn_id, "origin": "wenflow"})
    return out


def ruler_names(tags, eras, simp):
    """sanmiao's ruler tags, then for each ruler with eras the title its canonical name begins
    with when the tags lack it (順帝 for 順帝妥懽帖睦爾: texts write 元順帝至元三年), then
    RULER_ALIASES. A derived title another ruler of the same regime already bears is left
    out: it shows a wrong canonical name (sanmiao calls 宣宗 李忱 懿宗李忱, and 懿宗 is 李漼)."""
    out = [{"ruler_id": t["person_id"], "name": t["string"], "name_simplified": simplify(t["string"], simp),
            "era_prefix_only": t["era_prefix_only"].lower(), "origin": "sanmiao"} for t in tags]
    names = {}  # ruler id -> names
    for r in out:
        names.setdefault(r["ruler_id"], set()).add(r["name"])
    rulers = {}  # ruler id -> (dyn_id, canonical name), rulers with eras only
    for e in eras:
        rulers.setdefault(e["ruler_id"], (e["dyn_id"], e["ruler"]))
    by_regime = {}  # (dyn_id, name) -> ruler ids
    for rid, (dyn, _) in rulers.items():
        for n in names.get(rid, ()):
            by_regime.setdefault((dyn, n), set()).add(rid)
    derived = {}
    for rid, (dyn, canonical) in sorted(rulers.items(), key=lambda kv: int(kv[0] or 0)):
        m = TITLE.match(canonical)
        if not m or m.group(1) in NOT_TITLES or m.group(1) in names.get(rid, ()):
            continue
        derived.setdefault((dyn, m.group(1)), []).append(rid)
    for (dyn, title), rids in sorted(derived.items(), key=lambda kv: (int(kv[1][0]), kv[0][1])):
        if len(rids) > 1 or (dyn, title) in by_regime:
            continue
        out.append({"ruler_id": rids[0], "name": title, "name_simplified": simplify(title, simp),
                    "era_prefix_only": "", "origin": "derived"})
    for rid, aliases in RULER_ALIASES.items():
        if rid not in rulers:
            sys.exit(f"RULER_ALIASES: ruler {rid} has no eras")
        for name, alone in aliases:
            if name in names.get(rid, ()):
                sys.exit(f"RULER_ALIASES: sanmiao already has {name} for ruler {rid}")
            out.append({"ruler_id": rid, "name": name, "name_simplified": simplify(name, simp),
                        "era_prefix_only": "false" if alone else "", "origin": "wenflow"})
    return out


def write(path, records):
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(records[0].keys()), delimiter="\t", lineterminator="\n")
        w.writeheader()
        w.writerows(records)


if __name__ == "__main__":
    main()
