"""Persons' lifetimes for operators/data/entities/persons.tsv (used by build_lexicons.py).

The era-date recogniser narrows a date that is still ambiguous to the years a person named
near it, or the document's author, was alive (杜甫 + 上元二年 is 761, not 675). Sources:

- the biographies (`desc`) of `dist/quantangshi/authors.song.json` (chinese-poetry, MIT) open
  with the lifetime in Chinese numerals: `宋太祖趙匡胤（九二七～九七六）`, `陳摶（？～九八九）`
  (○ is zero; ？ after a year marks it uncertain, alone it is unknown);
- the descriptions of `dist/songci/author.song.json` and `dist/wudaishici/nantang/authors.json`
  (same licence) open with it in Arabic numerals: `苏轼：(1037-1101)`, `（？－约 1053）`,
  `李璟（916－961年8月12日）`;
- the Tang author list gives no years: `WENFLOW` below is wenflow's own list of well-known
  poets and statesmen of the Tang and the Five Dynasties, with the standard dates of the
  reference works; only people whose dates are not in doubt (by more than a year or two)
  are listed, `?` where a year is not known. Lifetimes are facts; the list is compiled for
  wenflow.
"""
import re

# name born died (? when unknown); names as written in persons.tsv (traditional, after the
# variant map). Emperors are listed under the names the 全唐詩 gives them (太宗皇帝).
WENFLOW = """
魏徵 580 643
虞世南 558 638
褚遂良 596 658
馬周 601 648
上官儀 608 665
太宗皇帝 598 649
高宗皇帝 628 683
中宗皇帝 656 710
睿宗皇帝 662 716
李隆基 685 762
德宗皇帝 742 805
文宗皇帝 809 840
宣宗皇帝 810 859
昭宗皇帝 867 904
武則天 624 705
狄仁傑 630 700
張柬之 625 706
蘇味道 648 705
杜審言 645 708
王勃 650 676
楊炯 650 693
陳子昂 661 702
宋之問 656 712
劉知幾 661 721
姚崇 651 721
宋璟 663 737
韋安石 651 714
魏知古 647 715
崔湜 671 713
蕭至忠 ? 713
張說 667 730
蘇頲 670 727
張九齡 678 740
賀知章 659 744
李邕 678 747
李林甫 683 753
高力士 684 762
孟浩然 689 740
王之渙 688 742
王昌齡 698 757
王維 701 761
王縉 700 781
李白 701 762
杜甫 712 770
高適 704 765
岑參 715 770
崔顥 704 754
張巡 709 757
顏真卿 709 784
嚴武 726 765
賈至 718 772
元結 719 772
獨孤及 725 777
元載 ? 777
郭子儀 697 781
劉晏 716 780
楊炎 727 781
常袞 729 783
李冶 ? 784
李泌 722 789
戴叔倫 732 789
韋應物 737 792
陸羽 733 804
陸贄 754 805
韋皋 745 805
呂溫 772 811
孟郊 751 814
李吉甫 758 814
武元衡 758 815
靈澈 746 816
李賀 790 816
權德輿 759 818
柳宗元 773 819
韓愈 768 824
白行簡 776 826
韋處厚 773 828
李益 746 829
李絳 764 830
張籍 766 830
元稹 779 831
薛濤 768 832
李逢吉 758 835
王涯 ? 835
盧仝 ? 835
令狐楚 766 837
裴度 765 839
劉禹錫 772 842
賈島 779 843
白居易 772 846
李紳 772 846
牛僧孺 779 848
李德裕 787 850
杜牧 803 852
李商隱 813 858
白敏中 792 861
段成式 ? 863
裴休 791 864
魚玄機 844 868
令狐綯 795 872
鄭畋 825 883
司空圖 837 908
羅隱 833 910
韋莊 836 910
貫休 832 912
李建勳 ? 952
楊凝式 873 954
和凝 898 955
馮延巳 903 960
李璟 916 961
嗣主璟 916 961
韓熙載 902 970
歐陽炯 896 971
李煜 937 978
後主煜 937 978
"""

CHINESE_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"○": 0, "零": 0}
# A year in a lifetime: digits, maybe 約/约 before and ？/? after (uncertain: still a year);
# ？ alone, or a private-use character standing for a lost one, is unknown.
SONG_DESC = re.compile(r"^([^，。（）]*)，?（([^（）～]*)～([^（），]*)[^（）]*）")
ARABIC = re.compile(r"^[^（(]{0,12}?[（(]\s*([^（()）\-－―—～]*)\s*[\-－―—～]\s*([^（()）]*?)[)）]")


def chinese_year(s):
    digits = "".join(c for c in s if c in CHINESE_DIGITS)
    if not digits or len(digits) > 4 or any(c not in CHINESE_DIGITS and c not in "約约？?" for c in s.strip()):
        return None
    return int("".join(str(CHINESE_DIGITS[c]) for c in digits))


def arabic_year(s):
    m = re.match(r"^\s*[約约]?\s*(\d{3,4})", s)
    return int(m.group(1)) if m else None


def song_desc_lifetime(name, desc):
    """(born, died) from a desc that opens with the person's name and lifetime in Chinese
    numerals, else None. `或` gives the earlier year (一○二二或一○二三)."""
    m = SONG_DESC.match(desc or "")
    if not m or not m.group(1).startswith(name):
        return None
    born, died = (chinese_year(x.split("或")[0].split("〔")[0]) for x in (m.group(2), m.group(3)))
    return (born, died) if born or died else None


def arabic_lifetime(desc):
    """(born, died) from a description that opens with the lifetime in Arabic numerals."""
    m = ARABIC.match(desc or "")
    if not m:
        return None
    born, died = arabic_year(m.group(1)), arabic_year(m.group(2))
    return (born, died) if born or died else None


def wenflow_lifetimes():
    out = {}
    for line in WENFLOW.strip().splitlines():
        name, born, died = line.split()
        year = lambda s: None if s == "?" else int(s)  # noqa: E731
        if name in out:
            raise SystemExit(f"lifetimes: {name} listed twice")
        out[name] = (year(born), year(died))
    return out


def agree(a, b, slack=3):
    """Two lifetimes of the same person agree when each year known in both is within
    `slack` years."""
    return all(x is None or y is None or abs(x - y) <= slack for x, y in zip(a, b))


def choose(name, dynasties, found, wenflow, log):
    """The lifetime of a persons.tsv row: wenflow's list first, else the sources' lifetimes
    when they agree. Lifetimes that disagree belong to two people of the same name (嚴武 of
    the Tang, 726-765, and of the Song, born 1071): the row gets none. A name of the Tang list
    (dynasty 唐) with a lifetime only from the Song lists is taken only when that person lived
    in the Five Dynasties (they are in both lists); otherwise the Tang poet is someone else."""
    if name in wenflow:
        if any(not agree(life, wenflow[name]) for _, life in found):
            log["lifetimes: two people of the name (left empty)"] += 1
            return None
        return wenflow[name]
    if not found:
        return None
    first = found[0][1]
    if any(not agree(first, life) for _, life in found[1:]):
        log["lifetimes: sources disagree (left empty)"] += 1
        return None
    born, died = first
    if "唐" in dynasties and not any(s == "nantang" for s, _ in found):
        if (born is not None and born > 979) or (died is not None and died < 907):
            log["lifetimes: a Tang name with a Song person's lifetime (left empty)"] += 1
            return None
    return first
