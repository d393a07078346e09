#!/usr/bin/env python3
"""Builds wenflow's reign-era tables (operators/data/eras/) from the tables that ship in
the `sanmiao` package (PyPI, MIT, (c) 2025 Daniel Patrick Morgan), correcting the faults
listed in ARCHITECTURE §4, and derives simplified spellings from Unihan's
kSimplifiedVariant (Debian `unicode-data`, Unicode license) instead of sanmiao's own
simplified column (which has 宣德→亘德, 乾隆→干隆).

Usage:  python3 scripts/data/build_eras.py [--sanmiao WHEEL_OR_DIR] [--out operators/data/eras]
Without --sanmiao it runs `pip download sanmiao==0.2.12 --no-deps` into a temporary folder.
Needs /usr/share/unicode/Unihan_Variants.txt.bz2 (apt-get install unicode-data).
"""
import argparse
import bz2
import csv
import io
import os
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
    } for d in dynasties.values()]
    write(os.path.join(a.out, "dynasties.tsv"), dyn_rows)
    tags = [{"name": t["string"], "name_simplified": simplify(t["string"], simp), "dyn_id": t["dyn_id"]} for t in rows(read, "dynasty_tags.csv")]
    write(os.path.join(a.out, "dynasty_names.tsv"), tags)
    rulers = [{
        "ruler_id": t["person_id"], "name": t["string"], "name_simplified": simplify(t["string"], simp),
        "era_prefix_only": t["era_prefix_only"].lower(),
    } for t in rows(read, "ruler_tags.csv")]
    write(os.path.join(a.out, "ruler_names.tsv"), rulers)
    print(f"{len(eras)} eras, {len(dyn_rows)} dynasties, {len(tags)} dynasty names, {len(rulers)} ruler names; {len(applied)} fixes")


def write(path, records):
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(records[0].keys()), delimiter="\t", lineterminator="\n")
        w.writeheader()
        w.writerows(records)


if __name__ == "__main__":
    main()
