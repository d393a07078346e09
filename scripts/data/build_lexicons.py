#!/usr/bin/env python3
"""Builds the character tables of the cleaning operator (text/data/) and the
name lists of the entities operator (operators/data/entities/).

Sources and licences:
- Unihan 15.0 (Debian `unicode-data`, /usr/share/unicode/Unihan_*.txt.bz2), Unicode License
  V3: variants, simplified/traditional forms, Big5 and 通用规范汉字表 (kTGH) membership,
  kFrequency, readings and radicals.
- `yitizi` 0.1.3 (PyPI, Project NK2028; its licence file is CC0 1.0): the variant graph
  yitizi/yitizi.json.
- chinese-poetry 2.0.1 (npm, MIT, (c) 2016 JackeyGao), unpacked at --corpus: author lists.
- `udkanbun` 3.4.9 (PyPI, MIT, (c) 2019 Koichi Yasuoka): udkanbun/mecab-kanbun/dict.name.csv
  (place names and surnames).
- `jieba` 0.42.1 (PyPI, MIT), at build time only: its dict.txt flags author names that are
  also ordinary words. Nothing from jieba is copied into the output.
- Offices and a short list of famous places in poetry are wenflow's own lists (below).
- Persons' lifetimes (persons.tsv `born`, `died`): the biographies of the Song and 南唐 author
  lists, and wenflow's own list of Tang and Five Dynasties lifetimes (scripts/data/lifetimes.py).

Usage:  python3 scripts/data/build_lexicons.py [--corpus DIR] [--yitizi WHEEL_OR_DIR]
            [--udkanbun SDIST_OR_DIR] [--jieba SDIST_OR_DICT] [--unihan DIR]
            [--eras operators/data/eras/eras.tsv]
            [--clean-out text/data] [--entities-out operators/data/entities]
Run from the repository root. --eras (built by build_eras.py) marks author names that are
also reign eras (大中, 景泰) as common words.
Without --yitizi/--udkanbun/--jieba it runs `pip download PKG==VERSION --no-deps` into a
temporary folder. Needs /usr/share/unicode/Unihan_*.txt.bz2 (apt-get install unicode-data).
The output is sorted and byte-identical from run to run.
"""
import argparse
import bz2
import collections
import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import unicodedata
import zipfile

import lifetimes

YITIZI = "yitizi==0.1.3"
UDKANBUN = "udkanbun==3.4.9"
JIEBA = "jieba==0.42.1"
CORPUS = os.path.expanduser("~/.cache/wenflow/corpus/chinese-poetry")

# Author lists of chinese-poetry: (file, source tag, dynasty, script of the names).
AUTHOR_FILES = [
    ("dist/quantangshi/authors.tang.json", "quantangshi.tang", "唐", "hant"),
    ("dist/quantangshi/authors.song.json", "quantangshi.song", "宋", "hant"),
    ("dist/songci/author.song.json", "songci", "宋", "hans"),
    ("dist/wudaishici/nantang/authors.json", "nantang", "五代", "hans"),
]

# Author "names" that stand for no one in particular.
PLACEHOLDERS = {"佚名", "無名氏", "无名氏", "不詳", "不详", "闕名", "阙名", "失名", "無名", "无名"}
PLACEHOLDER_PARTS = ("某", "失名", "失姓名", "佚名", "闕名", "阙名", "無名氏", "无名氏")
# "王氏", "慕容氏", "王氏女", "劉氏婦": a clan or "the woman of the X family", not a person.
CLAN_ONLY = re.compile(r"^.{1,2}氏[女婦妇子客]?$")
# Descriptions used where the author is unknown: "政和太學生", "僖宗朝北省官", "富春沙際鬼".
DESCRIPTIVE = re.compile(r"(太學生|學生|士人|舉子|舉人|書生|女子|婦人|歌辭|作者|鄉人|貴人|士友|鬼)$|宗朝")
# jieba tags for personal names; any other tag marks an ordinary word (or a place, title...).
NAME_TAGS = {"nr", "nrfg", "nrt"}
# jieba's rare entries (frequency below this) include many historical names tagged as
# nouns (牛僧孺 n 3, 顧況 n 4, 王之渙 i 2); below it, only names that do not begin with a
# surname (拾得, 太上, 皎然) count as words.
JIEBA_RARE = 20
# Names jieba tags as a common noun although they are only names.
JIEBA_WRONG = {"陸游"}
# Simplified characters whose traditional form in names is not what the general rule gives
# (two traditional forms, or a Big5 level 1 character that names write otherwise).
NAME_TRADITIONAL = {"发": "發", "钟": "鍾", "复": "復", "云": "雲", "几": "幾", "丰": "豐", "儿": "兒",
                    "准": "準", "愿": "願"}

# Characters a dictionary calls semantic variants but that names use in their own right.
NEVER_MAP = set("皝")

# Where the ranking below picks a wrong one of several candidates (checked against the
# 全唐詩/全宋詩 text: 髣髴 = 彷彿, not 佛; 巌, 勲, 巻 are the Japanese forms of 巖, 勳, 卷).
VARIANT_PREFER = {"髴": "彿", "巌": "巖", "勲": "勳", "巻": "卷", "廼": "迺"}

# Udkanbun surname rows that are not surnames (given names, titles, Japanese names, typos).
NOT_SURNAMES = {
    "中書左丞", "冒頓", "匡胤", "始皇", "彥章", "弘殷", "文凞", "從馬直", "安井", "足利",
    "食其", "馬眞", "管叔", "令孤", "公中", "太賀", "卒", "名", "除", "唃厮囉",
}

# Famous mountains, rivers, lakes, passes and towns of poetry, written as in traditional
# texts; added (source `wenflow`) only where udkanbun lacks them. Each is a place name in
# poetry, not an ordinary word.
FAMOUS_PLACES = """
廬山 匡廬 岱宗 太華 西嶽 衡山 南嶽 恆山 北嶽 峨眉山 天台山 天姥山 黃山
九華山 五臺山 太行 太行山 首陽山 北邙 邙山 鍾山 巫山 巫峽 瞿塘 瞿塘峽 三峽
崑崙 崑崙山 燕然 燕然山 賀蘭山 敬亭山 峴山 香爐峰 武夷山 雁蕩山 羅浮山 隴山 岷山
青城山 崆峒 秦嶺 太白山
長江 黃河 汾水 淮水 淮河 漢水 漢江 湘水 湘江 瀟湘 瀟水 沅水 沅湘 灕江 漓江 錦江 岷江 嘉陵江
錢塘江 揚子江 易水 桑乾河 洛水 伊水 灞水 汨羅 汨羅江 秦淮 秦淮河 汴水 沂水
濟水 潁水 汝水 若耶溪 剡溪 浣花溪 桃花潭 白鷺洲 鸚鵡洲 瓜洲 湓浦
洞庭湖 鄱陽湖 彭蠡 太湖 西湖 鏡湖 鑑湖 青草湖 震澤 昆明池 曲江 滇池
陽關 玉門關 玉關 玉門 函谷關 劍門 劍門關 劍閣 雁門 雁門關 居庸關 山海關 嘉峪關 蕭關 大散關
散關 藍關 虎牢 虎牢關 榆關
赤壁 采石磯 京口 巴陵 岳陽 潯陽 夔州 白帝城 姑蘇 錢塘 秣陵 臨安 錦官城 衡陽 番禺
彭城 渭城 灞陵 霸陵 藍田 長干 樓蘭 碎葉 龍城 受降城 蔥嶺
"""

# Official titles of imperial China (wenflow's own list). Left out as ordinary words or
# forms of address in poetry: 先生, 使君, 明府, 大夫, 學士, 博士, 舍人, 庶子, 洗馬, 正字, 中書,
# 太常, 留守, 統軍, 總管, 修撰, 檢討, 訓導, 教授, 百戶, 千戶, 萬戶.
OFFICES = """
丞相 宰相 相國 太尉 司徒 司空 太師 太傅 太保 少師 少傅 少保 太宰 大司馬 大司徒 大司空 大司農 司農
司寇 令尹 大將軍 驃騎將軍 車騎將軍 衛將軍 前將軍 後將軍 左將軍 右將軍 將軍 元帥
大元帥 都元帥 御史大夫 御史中丞 侍御史 監察御史 殿中侍御史 御史 中丞 都御史 左都御史 右都御史
尚書令 尚書僕射 僕射 左僕射 右僕射 尚書 侍郎 郎中 員外郎
吏部尚書 戶部尚書 禮部尚書 兵部尚書 刑部尚書 工部尚書 吏部侍郎 戶部侍郎 禮部侍郎 兵部侍郎 刑部侍郎
工部侍郎 中書令 中書侍郎 中書舍人 門下侍郎 侍中 門下侍中 給事中 散騎常侍 左散騎常侍 右散騎常侍
諫議大夫 拾遺 左拾遺 右拾遺 補闕 左補闕 右補闕 起居郎 起居舍人 同中書門下平章事 中書門下平章事
同平章事 平章事 參知政事 樞密使 樞密副使 知樞密院事 三司使
翰林學士 翰林學士承旨 翰林待詔 翰林院編修 集賢學士 弘文館學士 龍圖閣學士
龍圖閣直學士 端明殿學士 觀文殿學士 資政殿學士 大學士 首輔 知制誥 祕書監 秘書監
祕書丞 秘書丞 祕書郎 秘書郎 著作郎 著作佐郎 校書郎 國子祭酒 國子博士 國子司業 太學博士
太常博士 太常卿 光祿卿 光祿大夫 金紫光祿大夫 銀青光祿大夫 衛尉卿 太僕卿
大理卿 大理寺丞 大理評事 鴻臚卿 司農卿 少府監 將作監 開府儀同三司 儀同三司
特進 上柱國 柱國 刺史 太守 郡守 長史 司馬 別駕 治中 主簿 錄事參軍 司戶參軍 司法參軍 參軍 功曹
縣令 縣丞 縣尉 知府 知州 知縣 知軍 同知 通判 府尹 京兆尹 河南尹 少尹 州牧 轉運使 發運使
提點刑獄 提刑 提舉常平 安撫使 經略使 制置使 宣撫使 招討使 觀察使 團練使
防禦使 節度使 節度判官 掌書記 推官 判官 都督 大都督 都護 大都護 副都護 採訪使 巡撫
總督 布政使 按察使 學政 典史 教諭 庶吉士 軍機大臣 都尉 校尉 司隸校尉 中郎將 都統
都指揮使 指揮使 殿前都指揮使 兵馬使 虞候 押衙 提督 總兵 參將 護軍 中尉 衛尉
廷尉 光祿勳 郎中令 大鴻臚 宗正 內史 少府 執金吾 太史令 太史 太祝 太醫令
內侍 中常侍 黃門侍郎 黃門郎 尚宮 侍讀 侍講 侍讀學士 侍講學士 太子太師 太子太傅
太子少傅 太子賓客 太子詹事 詹事 太子洗馬 左庶子 右庶子 觀軍容使
"""


def pip_download(spec, suffix):
    tmp = tempfile.mkdtemp()
    extra = ["--no-binary", ":all:"] if suffix == ".tar.gz" else ["--only-binary", ":all:"]
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", *extra, "-d", tmp, spec], check=True)
    return os.path.join(tmp, next(n for n in os.listdir(tmp) if n.endswith(suffix)))


def read_member(spec, member):
    """Text of the file whose path ends with `member` (the shortest such path) in a wheel,
    an sdist or a folder; a plain file is read if its name is the member's name."""
    def pick(names):
        hits = sorted((n for n in names if n.replace(os.sep, "/").endswith(member)), key=lambda n: (len(n), n))
        if not hits:
            sys.exit(f"{member} not found in {spec}")
        return hits[0]
    if os.path.isdir(spec):
        paths = [os.path.join(root, n) for root, _, files in os.walk(spec) for n in files]
        return open(pick(paths), encoding="utf-8").read()
    if spec.endswith(".whl"):
        z = zipfile.ZipFile(spec)
        return z.read(pick(z.namelist())).decode("utf-8")
    if spec.endswith((".tar.gz", ".tgz")):
        t = tarfile.open(spec)
        return t.extractfile(pick(t.getnames())).read().decode("utf-8")
    if os.path.basename(spec) == os.path.basename(member):
        return open(spec, encoding="utf-8").read()
    sys.exit(f"{spec}: give the package (wheel, sdist or folder) to read {member} from")


class Unihan:
    def __init__(self, folder):
        self.folder = folder
        v = self.load("Variants", "kSimplifiedVariant", "kTraditionalVariant", "kZVariant", "kSemanticVariant")
        self.simp = {c: cps(x) for c, x in v["kSimplifiedVariant"].items()}
        self.trad = {c: cps(x) for c, x in v["kTraditionalVariant"].items()}
        self.z = {c: cps(x) for c, x in v["kZVariant"].items()}
        self.sem = {c: cps(x) for c, x in v["kSemanticVariant"].items()}
        o = self.load("OtherMappings", "kBigFive", "kTGH")
        self.big5 = set(o["kBigFive"])
        self.big5_l1 = {c for c, x in o["kBigFive"].items() if 0xA440 <= int(x, 16) <= 0xC67E}
        self.tgh = set(o["kTGH"])
        self.freq = {c: int(x) for c, x in self.load("DictionaryLikeData", "kFrequency")["kFrequency"].items()}
        self.radicals = {c: {r.split(".")[0].rstrip("'") for r in x.split()}
                         for c, x in self.load("IRGSources", "kRSUnicode")["kRSUnicode"].items()}
        r = self.load("Readings", "kMandarin", "kHanyuPinyin", "kXHC1983", "kTGHZ2013", "kJapaneseOn")
        # Readings with tones (Mandarin), and loose readings (Mandarin without tones, and
        # Japanese on'yomi, which keep the Japanese forms 価, 囲, 仮 tied to 價, 圍, 假).
        self.toned, self.loose = collections.defaultdict(set), collections.defaultdict(set)
        for field, values in r.items():
            for c, x in values.items():
                for part in x.split():
                    for reading in part.split(":")[-1].split(","):
                        if field == "kJapaneseOn":
                            self.loose[c].add("on:" + reading)
                        else:
                            self.toned[c].add(reading)
                            self.loose[c].add(strip_tone(reading))

    def load(self, name, *fields):
        out = {f: {} for f in fields}
        with bz2.open(os.path.join(self.folder, f"Unihan_{name}.txt.bz2"), "rt", encoding="utf-8") as f:
            for line in f:
                if line.startswith("#") or not line.strip():
                    continue
                code, field, value = line.rstrip("\n").split("\t")
                if field in out:
                    out[field][chr(int(code[2:], 16))] = value
        return out

    def simplified_only(self, c):
        return c in self.trad and c not in self.trad[c]

    def traditional_only(self, c):
        return c in self.simp and c not in self.simp[c]

    def to_simplified(self, c):
        """The simplified form of c; a character that is its own simplified form in some
        uses (乾 in 乾隆, 乾坤) keeps itself, so that names are not corrupted."""
        t = self.simp.get(c)
        return c if not t or c in t else t[0]

    def simplify(self, text):
        return "".join(self.to_simplified(c) for c in text)


def cps(value):
    return [chr(int(v.split("<")[0][2:], 16)) for v in value.split()]


def strip_tone(reading):
    return "".join(x for x in unicodedata.normalize("NFD", reading) if not unicodedata.combining(x))


def is_han(c):
    o = ord(c)
    return (0x3400 <= o <= 0x4DBF or 0x4E00 <= o <= 0x9FFF or 0x20000 <= o <= 0x2EBEF
            or 0x30000 <= o <= 0x323AF) or (
           0xF900 <= o <= 0xFAFF and unicodedata.normalize("NFC", c) == c)


def han_word(s):
    return bool(s) and all(is_han(c) for c in s)


def nfc(s):
    return unicodedata.normalize("NFC", s)


# ---------------------------------------------------------------- clean tables

def build_variants(u, yitizi):
    """variant -> (standard, source); see text/data/README.md for the rules."""
    standard_set = u.big5_l1 | u.tgh
    rel = collections.defaultdict(lambda: collections.defaultdict(set))

    def link(a, b, source):
        if a != b:
            rel[a][b].add(source)
            rel[b][a].add(source)

    for v, cs in yitizi.items():
        for c in cs:
            link(v, c, "yitizi")
    for table, source in ((u.z, "unihan-z"), (u.sem, "unihan-semantic")):
        for v, cs in table.items():
            for c in cs:
                link(v, c, source)

    def reads_alike(a, b):
        # Characters without readings in Unihan are given the benefit of the doubt.
        return not u.loose.get(a) or not u.loose.get(b) or bool(u.loose[a] & u.loose[b])

    out, dropped = {}, collections.Counter()
    for v in sorted(rel):
        if v in standard_set or v in u.big5 or v in NEVER_MAP or not is_han(v) or nfc(v) != v:
            continue  # Big5 level 2 characters are real characters in their own right too
        if u.simplified_only(v):
            dropped["simplified-only variant"] += 1
            continue
        cands = {}
        for c, sources in rel[v].items():
            if c not in standard_set or nfc(c) != c or u.simplified_only(c) or c in u.simp.get(v, ()):
                continue
            if not reads_alike(v, c):
                dropped["candidate read differently"] += 1
                continue
            cands[c] = sources
        if not cands:
            continue

        def rank(c):
            s = cands[c]
            strength = (0 if "unihan-z" in s else 1 if {"yitizi", "unihan-semantic"} <= s
                        else 2 if "yitizi" in s else 3)
            simplified_of_other = any(c in u.simp.get(x, ()) and x != c for x in cands)
            same_reading = bool(u.toned.get(v, set()) & u.toned.get(c, set()))
            same_radical = bool(u.radicals.get(v, set()) & u.radicals.get(c, set()))
            return (c not in u.big5_l1, strength, simplified_of_other, not same_reading,
                    not same_radical, u.freq.get(c, 9), ord(c))

        best = min(cands, key=rank)
        if v in VARIANT_PREFER:
            if VARIANT_PREFER[v] not in cands:
                sys.exit(f"VARIANT_PREFER: {VARIANT_PREFER[v]} is not a candidate for {v}")
            best = VARIANT_PREFER[v]
        s = cands[best]
        out[v] = (best, "unihan-z" if "unihan-z" in s else "yitizi" if "yitizi" in s else "unihan-semantic")
    chains = [v for v, (s, _) in out.items() if s in out]
    if chains:
        sys.exit(f"variant chains: {chains[:20]}")
    return out, dropped


def build_t2s(u):
    rows = []
    for c in sorted(u.simp):
        targets = u.simp[c]
        other = [t for t in targets if t != c]
        if not other:
            continue
        rows.append({"traditional": c, "simplified": other[0], "self_allowed": str(c in targets).lower()})
    return rows


def build_search_fold(u, yitizi, variants, t2s):
    """char -> (target, source): the characters whose search form (variant to standard,
    then traditional to simplified, as `clean::fold_char` folds) falls outside the
    通用规范汉字表 although a variant of theirs folds into it, mapped to that variant's
    form. See text/data/README.md."""
    simp = {r["traditional"]: r["simplified"] for r in t2s}

    def fold(c):
        c = variants.get(c, (c,))[0]
        return simp.get(c, c)

    related = collections.defaultdict(lambda: collections.defaultdict(set))
    for table, source in ((yitizi, "yitizi"), (u.sem, "unihan-semantic"), (u.z, "unihan-z")):
        for a, bs in table.items():
            for b in bs:
                if a != b:
                    related[a][b].add(source)
                    related[b][a].add(source)

    def mandarin(c):
        return {r for r in u.loose.get(c, ()) if not r.startswith("on:")}

    out = {}
    for c in sorted(set(related) | set(variants) | set(simp)):
        f = fold(c)
        if not is_han(c) or nfc(c) != c or f in u.tgh:
            continue
        cands = {}
        for x in (c, f):
            for r, sources in related.get(x, {}).items():
                t = fold(r)
                if t not in u.tgh or t == f:
                    continue
                if mandarin(c) and mandarin(t) and not mandarin(c) & mandarin(t):
                    continue
                entry = cands.setdefault(t, [False, set()])
                entry[0] |= x == c
                entry[1] |= sources

        def rank(t):
            direct, sources = cands[t]
            strong = "unihan-z" in sources or {"yitizi", "unihan-semantic"} <= sources
            return (not direct, not strong, u.freq.get(t, 9), ord(t))

        if cands:
            best = min(cands, key=rank)
            sources = cands[best][1]
            out[c] = (best, "unihan-z" if "unihan-z" in sources else "unihan-semantic" if "unihan-semantic" in sources else "yitizi")
    return out


def build_script(u):
    rows = {}
    for c in u.simp:
        if u.traditional_only(c):
            rows[c] = "hant"
    for c in u.trad:
        if u.simplified_only(c):
            rows[c] = None if c in rows else "hans"
    return [{"char": c, "script": s} for c, s in sorted(rows.items()) if s]


# ---------------------------------------------------------------- entities

def to_traditional(name, u, trad_by_simp):
    """A traditional spelling of a name from a simplified list, or None if ambiguous: the
    traditional-list name that simplifies to it if there is exactly one, else character by
    character. Unihan lists many simplified forms as traditional too (刘 -> 刘 劉, 机 -> 机 機);
    a character keeps itself only if it is in Big5 level 1 (范, 沈, 余, 于, 朱, 胡)."""
    if len(trad_by_simp.get(name, ())) == 1:
        return next(iter(trad_by_simp[name]))
    if name.startswith("万俟"):  # the compound surname is written 万俟 (mò qí) in traditional texts too
        rest = to_traditional(name[2:], u, {}) if len(name) > 2 else ""
        return None if rest is None else "万俟" + rest
    out = []
    for c in name:
        t = u.trad.get(c, [c])
        others = [x for x in t if x != c]
        if c in NAME_TRADITIONAL:
            out.append(NAME_TRADITIONAL[c])
        elif not others or (c in t and c in u.big5_l1):
            out.append(c)
        elif len(others) == 1:
            out.append(others[0])
        else:
            return None
    return "".join(out)


def build_persons(corpus, u, variants, jieba_words, surnames, places, offices, eras, log):
    raw = []  # (name as listed, source, dynasty, script)
    for path, source, dynasty, script in AUTHOR_FILES:
        entries = json.load(open(os.path.join(corpus, path), encoding="utf-8"))
        names = [nfc(e["name"]).strip() for e in entries]
        listed = collections.Counter(names)
        for n, e in zip(names, entries):
            if script == "hans" and listed[n] > 1:
                log["songci name listed more than once (truncated: 趙希, 劉子)"] += 1
                continue
            raw.append((re.sub(r"\s+\d+$", "", n), source, dynasty, script, entry_lifetime(source, n, e)))
    kept = []
    for name, source, dynasty, script, life in raw:
        why = ("not only Han characters" if not han_word(name) else
               "shorter than 2" if len(name) < 2 else
               "placeholder" if name in PLACEHOLDERS or any(p in name for p in PLACEHOLDER_PARTS) else
               "clan name X氏" if CLAN_ONLY.match(name) else
               "description" if DESCRIPTIVE.search(name) else None)
        if why:
            log[f"excluded: {why}"] += 1
            continue
        kept.append((name, source, dynasty, script, life))
    trad_by_simp = collections.defaultdict(set)
    for name, _, _, script, _ in kept:
        if script == "hant":
            trad_by_simp[u.simplify(name)].add(name)
    merged = {}
    for name, source, dynasty, script, life in kept:
        if script == "hans":
            t = to_traditional(name, u, trad_by_simp)
            if t is None:
                log["excluded: simplified name with no single traditional spelling"] += 1
                continue
            log["simplified-list names spelt " + ("as in a traditional list" if len(trad_by_simp.get(name, ())) == 1
                                                  else "character by character")] += 1
            if u.simplify(t) != name:
                log["simplified-list names whose re-simplified form differs"] += 1
            name = t
        if standard(name, variants) != name:
            log["names with variant characters, standardised (爲 -> 為)"] += 1
            name = standard(name, variants)
        m = merged.setdefault(name, {"dynasty": set(), "source": set(), "lifetimes": []})
        m["dynasty"].add(dynasty)
        m["source"].add(source)
        if life:
            m["lifetimes"].append((source, life))

    def common(name, simple):
        # A name that is also a place, an office or a reign era is as ambiguous as a word.
        if name in places or name in offices or name in eras:
            return True
        entries = [jieba_words[w] for w in {name, simple} if w in jieba_words]
        if not entries or name in JIEBA_WRONG or any(is_name for _, is_name in entries):
            return False
        surname_first = name[:2] in surnames or name[:1] in surnames
        return not surname_first or max(freq for freq, _ in entries) >= JIEBA_RARE

    records = list(collection_records(corpus))
    poems = collections.Counter(author for author, _ in records if author is not None)
    spellings = set(merged) | {u.simplify(n) for n in merged}
    mentioned = records_mentioning((body for _, body in records if body is not None), spellings)
    listed_lifetimes = lifetimes.wenflow_lifetimes()
    unknown = sorted(set(listed_lifetimes) - set(merged))
    if unknown:
        sys.exit(f"lifetimes.WENFLOW names not in the author lists: {unknown}")
    rows = []
    for name in sorted(merged):
        simple = u.simplify(name)
        life = lifetimes.choose(name, merged[name]["dynasty"], merged[name]["lifetimes"], listed_lifetimes, log)
        born, died = life or (None, None)
        if life:
            log["lifetimes: persons with a lifetime"] += 1
        n_poems = poems[name] + (poems[simple] if simple != name else 0)
        n_mentions = mentioned[name] + (mentioned[simple] if simple != name else 0)
        # A name found in more records than the poet wrote poems (plus ten) is mostly a
        # phrase of other poems (莫將 "do not take", 方來 "about to come"), not the poet.
        word = common(name, simple) or name in WORD_PERSONS.split() or n_mentions > n_poems + 10
        rows.append({
            "name": name, "name_simplified": simple,
            "dynasty": "|".join(sorted(merged[name]["dynasty"])),
            "source": "|".join(sorted(merged[name]["source"])),
            "common_word": str(word).lower(),
            "poems": str(n_poems),
            "mentions": str(n_mentions),
            "born": "" if born is None else str(born),
            "died": "" if died is None else str(died),
        })
    return rows


def entry_lifetime(source, name, entry):
    """The lifetime an author list gives for an entry, if any (see lifetimes.py)."""
    if source == "quantangshi.song":
        return lifetimes.song_desc_lifetime(name, nfc(entry.get("desc") or ""))
    if source in ("songci", "nantang"):
        return lifetimes.arabic_lifetime(nfc(entry.get("description") or entry.get("desc") or ""))
    return None


# Poets' names that poems mostly use as words whatever the counts say (寒山 "cold
# mountain", 周南 the Book of Songs section, 方回 "just turned back"). Compiled for wenflow.
WORD_PERSONS = "寒山 周南 方回"


def collection_records(corpus):
    """(author, body) of every record of the collections' JSON files (not the author
    lists, not error/), NFC; either is None when the record has none. The author counts
    say how well known a poet is, which the recogniser uses to tell a famous two-character
    name (李白) from an obscure one that is also a word (朱顏)."""
    for root, dirs, files in os.walk(os.path.join(corpus, "dist")):
        dirs[:] = sorted(d for d in dirs if d != "error")
        for f in sorted(files):
            if not f.endswith(".json") or f.startswith("author"):
                continue
            try:
                data = json.load(open(os.path.join(root, f), encoding="utf-8"))
            except (ValueError, OSError):
                continue
            if not isinstance(data, list):
                continue
            for r in data:
                if not isinstance(r, dict):
                    continue
                author = r.get("author")
                body = r.get("paragraphs") or r.get("content") or r.get("para")
                yield (nfc(author).strip() if isinstance(author, str) else None,
                       nfc("".join(body)) if isinstance(body, list) and all(isinstance(x, str) for x in body)
                       else None)


def records_mentioning(bodies, names):
    """Records whose body contains each name (names of 2 to 4 characters)."""
    by_len = collections.defaultdict(set)
    for n in names:
        if 2 <= len(n) <= 4:
            by_len[len(n)].add(n)
    counts = collections.Counter()
    for t in bodies:
        seen = set()
        for length, group in by_len.items():
            for i in range(len(t) - length + 1):
                if t[i:i + length] in group:
                    seen.add(t[i:i + length])
        counts.update(seen)
    return counts


def udkanbun_rows(text, kind):
    for r in csv.reader(io.StringIO(text)):
        if len(r) >= 11 and r[7] == kind:
            yield nfc(r[0]), nfc(r[10].split("/")[0])


def standard(s, variants):
    """s with variant characters replaced as the cleaning operator does (眞 -> 真, 呉 -> 吳):
    the entities operator sees cleaned text."""
    return "".join(variants.get(c, (c,))[0] for c in s)


def chinese_form(s, u):
    """Drops spellings with characters that neither Big5 nor the 通用规范汉字表 has, i.e.
    Japanese forms that survive the variant map and no Chinese text uses."""
    return han_word(s) and all(c in u.big5 or c in u.tgh for c in s)


def build_places(dict_name, u, variants):
    names = {}
    for surface, lemma in udkanbun_rows(dict_name, "地名"):
        for form in {standard(surface, variants), standard(lemma, variants)}:
            if len(form) >= 2 and chinese_form(form, u) and form not in NOT_PLACES.split():
                names[form] = "udkanbun"
    for name in FAMOUS_PLACES.split():
        if standard(name, variants) != name:
            sys.exit(f"FAMOUS_PLACES: {name} has a variant character")
        names.setdefault(name, "wenflow")
    return [{"name": n, "name_simplified": u.simplify(n), "source": s,
             "common_word": str(n in WORD_PLACES.split()).lower()} for n, s in sorted(names.items())]


# udkanbun 地名 entries that name no specific place in poems (故鄉 "home", 九泉 "the
# underworld", 方丈 "abbot"): left out.
NOT_PLACES = "故鄉 九泉 方丈"

# Place names that are more often ordinary words in poems (太平 "peace", 南山 "the hills to
# the south", 九泉 "the underworld"): the recogniser needs a place context for them.
# Compiled for wenflow by reading how the corpus uses them.
WORD_PLACES = """
太平 九泉 故鄉 方丈 南山 東山 北山 西山 青山 白雲 江湖 天涯 天下 四海 平原 中州 三山 五湖
""".strip().replace("\n", " ")


def build_surnames(dict_name, u, variants):
    names = set()
    for surface, lemma in udkanbun_rows(dict_name, "姓氏"):
        if surface in NOT_SURNAMES:
            continue
        forms = {surface} if surface == "余" else {surface, lemma}  # udkanbun gives 余 the lemma 餘
        for form in forms:
            form = standard(form, variants)
            if 1 <= len(form) <= 2 and form not in NOT_SURNAMES and chinese_form(form, u):
                names.add(form)
    return [{"surname": n, "surname_simplified": u.simplify(n)} for n in sorted(names)]


def build_offices(u, variants):
    names = OFFICES.split()
    dup = [n for n, k in collections.Counter(names).items() if k > 1]
    if dup:
        sys.exit(f"offices listed twice: {dup}")
    bad = [n for n in names if standard(n, variants) != n]
    if bad:
        sys.exit(f"offices with variant characters: {bad}")
    return [{"name": n, "name_simplified": u.simplify(n), "source": "wenflow"} for n in sorted(names)]


def jieba_dict(text):
    """word -> (highest frequency under a non-name tag, whether any tag is a name tag)."""
    words = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 3:
            w, freq, tag = nfc(parts[0]), int(parts[1]), parts[2]
            f, is_name = words.get(w, (0, False))
            words[w] = (f, True) if tag in NAME_TAGS else (max(f, freq), is_name)
    return words


def era_names(path):
    with open(path, encoding="utf-8") as f:
        return {r["era"] for r in csv.DictReader(f, delimiter="\t")}


def write(path, records, fields):
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, delimiter="\t", lineterminator="\n",
                           quoting=csv.QUOTE_NONE, escapechar=None)
        w.writeheader()
        w.writerows(records)


def write_text(path, text):
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text if text.endswith("\n") else text + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=CORPUS)
    ap.add_argument("--yitizi")
    ap.add_argument("--udkanbun")
    ap.add_argument("--jieba")
    ap.add_argument("--unihan", default="/usr/share/unicode")
    ap.add_argument("--eras", default="operators/data/eras/eras.tsv")
    ap.add_argument("--clean-out", default="text/data")
    ap.add_argument("--entities-out", default="operators/data/entities")
    a = ap.parse_args()
    for spec_attr, pip_spec, suffix in (("yitizi", YITIZI, ".whl"), ("udkanbun", UDKANBUN, ".tar.gz"), ("jieba", JIEBA, ".tar.gz")):
        if getattr(a, spec_attr) is None:
            setattr(a, spec_attr, pip_download(pip_spec, suffix))

    u = Unihan(a.unihan)
    os.makedirs(a.clean_out, exist_ok=True)
    os.makedirs(a.entities_out, exist_ok=True)

    yitizi = json.loads(read_member(a.yitizi, "yitizi/yitizi.json"))
    variants, dropped = build_variants(u, yitizi)
    write(os.path.join(a.clean_out, "variants.tsv"),
          [{"variant": v, "standard": s, "source": src} for v, (s, src) in sorted(variants.items())],
          ["variant", "standard", "source"])
    t2s = build_t2s(u)
    write(os.path.join(a.clean_out, "t2s.tsv"), t2s, ["traditional", "simplified", "self_allowed"])
    script = build_script(u)
    write(os.path.join(a.clean_out, "script.tsv"), script, ["char", "script"])
    search_fold = build_search_fold(u, yitizi, variants, t2s)
    write(os.path.join(a.clean_out, "search_fold.tsv"),
          [{"char": c, "folded": t, "source": src} for c, (t, src) in sorted(search_fold.items())],
          ["char", "folded", "source"])
    write_text(os.path.join(a.clean_out, "LICENSE-yitizi.txt"),
               "yitizi 0.1.3 (https://github.com/nk2028/yitizi, Project NK2028). The licence file\n"
               "shipped in the package (yitizi-0.1.3.dist-info/licenses/LICENSE) is CC0 1.0\n"
               "Universal, reproduced below; the package's classifiers also name the MIT License.\n"
               "variants.tsv uses its variant graph yitizi/yitizi.json.\n\n"
               + read_member(a.yitizi, "/LICENSE"))

    dict_name = read_member(a.udkanbun, "mecab-kanbun/dict.name.csv")
    places = build_places(dict_name, u, variants)
    write(os.path.join(a.entities_out, "places.tsv"), places, ["name", "name_simplified", "source", "common_word"])
    surnames = build_surnames(dict_name, u, variants)
    write(os.path.join(a.entities_out, "surnames.tsv"), surnames, ["surname", "surname_simplified"])
    offices = build_offices(u, variants)
    write(os.path.join(a.entities_out, "offices.tsv"), offices, ["name", "name_simplified", "source"])
    log = collections.Counter()
    persons = build_persons(a.corpus, u, variants, jieba_dict(read_member(a.jieba, "jieba/dict.txt")),
                            {r["surname"] for r in surnames}, {r["name"] for r in places},
                            {r["name"] for r in offices}, era_names(a.eras), log)
    write(os.path.join(a.entities_out, "persons.tsv"), persons,
          ["name", "name_simplified", "dynasty", "source", "common_word", "poems", "mentions", "born", "died"])
    write_text(os.path.join(a.entities_out, "LICENSE-udkanbun.txt"),
               read_member(a.udkanbun, "/LICENSE.txt"))
    shutil.copyfile(os.path.join(a.corpus, "LICENSE"), os.path.join(a.entities_out, "LICENSE-chinese-poetry.txt"))

    src = collections.Counter(s for _, s in variants.values())
    print(f"variants.tsv {len(variants)} ({', '.join(f'{k} {v}' for k, v in sorted(src.items()))}); "
          f"not used: {dict(sorted(dropped.items()))}")
    print(f"search_fold.tsv {len(search_fold)}")
    print(f"t2s.tsv {len(t2s)} ({sum(r['self_allowed'] == 'true' for r in t2s)} self_allowed); "
          f"script.tsv {len(script)} ({sum(r['script'] == 'hant' for r in script)} hant, "
          f"{sum(r['script'] == 'hans' for r in script)} hans)")
    psrc = collections.Counter(r["source"] for r in places)
    print(f"places.tsv {len(places)} ({', '.join(f'{k} {v}' for k, v in sorted(psrc.items()))}); "
          f"surnames.tsv {len(surnames)}; offices.tsv {len(offices)}")
    print(f"persons.tsv {len(persons)} ({sum(r['common_word'] == 'true' for r in persons)} common_word); "
          + "; ".join(f"{k}: {v}" for k, v in sorted(log.items())))


if __name__ == "__main__":
    main()
