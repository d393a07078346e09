"""Renders OCR ground truth: page images of real corpus text, with the true text beside each.

    python scripts/ocr/render_pages.py CORPUS_DIR OUT_DIR [--pages 12] [--seed 5]
    python scripts/ocr/render_pages.py CORPUS_DIR OUT_DIR --fixtures   # the small test fixtures

Text: poems of 全唐詩 (chinese-poetry's `dist/quantangshi/poet.tang.*.json`, traditional),
consecutive poems from a random file, title then verses, until the page is full.

Pages (A5 at 300 dpi, 1748 x 2480 pixels, characters of 64 pixels), `--pages` of each kind:

- `h`: horizontal, lines left to right and top to bottom, punctuation kept;
- `v`: vertical, columns top to bottom and right to left, unpunctuated (白文), as woodblock
  and most classical editions are set;

each `clean` (PNG) and `degraded` (JPEG): Gaussian blur, a rotation of up to `--max-angle`
degrees [1.5] either way, speckle (black and white specks), Gaussian noise and JPEG
compression at quality 30 to 60; `--variants degraded` renders only the degraded ones.
`--seed` picks other poems and other faults: the bench uses seed 5, the layout held-out set
seed 11. `--spacing` sets the pitch of lines and columns in characters [1.5]; at 1 the text
sits on a square grid (as on many woodblock pages), and blank rows and columns cannot tell
the layout (the grid set of the bench, seed 12). Fonts, in turn: Noto Serif CJK TC,
AR PL UMing TW, AR PL UKai TW (Debian fonts-noto-cjk, fonts-arphic-uming,
fonts-arphic-ukai).

OUT_DIR gets `<kind>-<variant>-<nn>.<png|jpg>`, the true text in `<same>.txt` (one line or
column per line, in reading order) and `manifest.jsonl` (file, truth, layout, variant,
font, the Tesseract language and page segmentation mode that suit the layout, and the
rotation applied in degrees counter-clockwise).

`--fixtures` writes the few small inputs the tests use instead: one horizontal and one
vertical page cropped small, a two-page TIFF, an image-only PDF and a PDF with a text
layer (reportlab), each with its truth.
"""

import argparse
import glob
import io
import json
import os
import random
import sys

from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONTS = [
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", "Noto Serif CJK TC"),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", "AR PL UMing TW"),
    ("/usr/share/fonts/truetype/arphic/ukai.ttc", "AR PL UKai TW"),
]
PUNCT = set("，。、；：？！「」『』（）《》〈〉…—·,.;:?!()")
W, H, MARGIN, SIZE = 1748, 2480, 150, 64


def font(path, family, size):
    """The face of `family` in the collection at `path`."""
    for index in range(16):
        try:
            f = ImageFont.truetype(path, size, index=index)
        except OSError:
            break
        if f.getname()[0] == family:
            return f
    sys.exit(f"{family} is not in {path}: install fonts-noto-cjk, fonts-arphic-uming and fonts-arphic-ukai")


def poems(corpus, rng):
    files = sorted(glob.glob(os.path.join(corpus, "dist/quantangshi/poet.tang.*.json")))
    if not files:
        sys.exit(f"no dist/quantangshi/poet.tang.*.json under {corpus}")
    records = json.load(open(rng.choice(files), encoding="utf-8"))
    start = rng.randrange(len(records))
    for r in records[start:] + records[:start]:
        lines = [r.get("title", "")] + list(r.get("paragraphs", []))
        lines = [l.strip() for l in lines if l and l.strip() and "□" not in l]
        if len(lines) > 1:
            yield lines


def wrap(line, width):
    return [line[i : i + width] for i in range(0, len(line), width)] or [""]


def horizontal(rng, corpus, f, pitch):
    per_line = (W - 2 * MARGIN) // SIZE
    rows = (H - 2 * MARGIN) // pitch
    lines = []
    for poem in poems(corpus, rng):
        block = [w for l in poem for w in wrap(l, per_line)]
        if len(lines) + len(block) > rows:
            lines = lines or block[:rows]  # a poem longer than a page fills the page
            break
        lines += block
    img = Image.new("L", (W, H), 255)
    d = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        d.text((MARGIN, MARGIN + i * pitch), line, font=f, fill=0)
    return img, lines


def vertical(rng, corpus, f, pitch):
    per_col = (H - 2 * MARGIN) // SIZE
    cols = (W - 2 * MARGIN) // pitch
    columns = []
    for poem in poems(corpus, rng):
        block = []
        for l in poem:
            block += wrap("".join(c for c in l if c not in PUNCT), per_col)
        if len(columns) + len(block) > cols:
            columns = columns or block[:cols]  # a poem longer than a page fills the page
            break
        columns += block
    img = Image.new("L", (W, H), 255)
    d = ImageDraw.Draw(img)
    for i, col in enumerate(columns):
        x = W - MARGIN - (i + 1) * pitch + (pitch - SIZE) // 2
        for j, c in enumerate(col):
            d.text((x, MARGIN + j * SIZE), c, font=f, fill=0)
    return img, columns


def speckle(img, rng, dots):
    """Scanner dirt: `dots` black specks of 1 to 3 pixels' radius anywhere on the page, and
    as many white ones (dropouts in the ink)."""
    d = ImageDraw.Draw(img)
    w, h = img.size
    for fill in (0, 255):
        for _ in range(dots):
            x, y, r = rng.randrange(w), rng.randrange(h), rng.uniform(1.0, 3.0)
            d.ellipse((x - r, y - r, x + r, y + r), fill=fill)
    return img


def degrade(img, rng, max_angle):
    """A scan's faults: Gaussian blur, a rotation of up to `max_angle` degrees either way,
    speckle, Gaussian noise and JPEG compression. Returns the JPEG bytes and the rotation
    (degrees counter-clockwise)."""
    img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.6, 1.4)))
    angle = rng.uniform(-max_angle, max_angle)
    img = img.rotate(angle, resample=Image.BICUBIC, expand=False, fillcolor=255)
    img = speckle(img, rng, rng.randrange(200, 2000))
    noise = Image.effect_noise(img.size, 28)
    img = Image.blend(img, noise, 0.12)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=rng.randrange(30, 60))
    return out.getvalue(), angle


def render(a):
    rng = random.Random(a.seed)
    os.makedirs(a.out, exist_ok=True)
    manifest = []
    for kind, make, lang, psm in (("h", horizontal, "chi_tra", 6), ("v", vertical, "chi_tra_vert", 5)):
        for n in range(a.pages):
            path, family = FONTS[n % len(FONTS)]
            img, lines = make(rng, a.corpus, font(path, family, SIZE), int(SIZE * a.spacing))
            truth = "\n".join(lines) + "\n"
            for variant in a.variants.split(","):
                name = f"{kind}-{variant}-{n:02d}"
                angle = 0.0
                if variant == "clean":
                    file = name + ".png"
                    img.save(os.path.join(a.out, file), dpi=(300, 300))
                else:
                    file = name + ".jpg"
                    data, angle = degrade(img, rng, a.max_angle)
                    with open(os.path.join(a.out, file), "wb") as f:
                        f.write(data)
                with open(os.path.join(a.out, name + ".txt"), "w", encoding="utf-8") as f:
                    f.write(truth)
                manifest.append({"file": file, "truth": name + ".txt", "layout": kind, "variant": variant,
                                 "font": family, "lang": lang, "psm": psm, "skew": round(angle, 3)})
    with open(os.path.join(a.out, "manifest.jsonl"), "w", encoding="utf-8") as f:
        for m in manifest:
            f.write(json.dumps(m, ensure_ascii=False) + "\n")
    print(f"{len(manifest)} pages in {a.out}", file=sys.stderr)


def fixtures(a):
    """Small pages for the tests: each a few lines, so OCR of all of them takes seconds."""
    os.makedirs(a.out, exist_ok=True)
    f = font(*FONTS[0], 48)
    texts = {"h": ["床前明月光疑是地上霜", "舉頭望明月低頭思故鄉"], "v": ["春眠不覺曉處處聞啼鳥", "夜來風雨聲花落知多少"]}

    def page(lines, layout):
        w, h = (560, 220) if layout == "h" else (260, 600)
        img = Image.new("L", (w, h), 255)
        d = ImageDraw.Draw(img)
        for i, line in enumerate(lines):
            for j, c in enumerate(line):
                xy = (30 + j * 50, 30 + i * 80) if layout == "h" else (w - 100 - i * 80, 30 + j * 54)
                d.text(xy, c, font=f, fill=0)
        return img

    def truth(name, lines):
        with open(os.path.join(a.out, name), "w", encoding="utf-8") as out:
            out.write("\n".join(lines) + "\n")

    h, v = page(texts["h"], "h"), page(texts["v"], "v")
    h.save(os.path.join(a.out, "page-h.png"), dpi=(300, 300))
    truth("page-h.txt", texts["h"])
    v.save(os.path.join(a.out, "page-v.png"), dpi=(300, 300))
    truth("page-v.txt", texts["v"])
    h.convert("RGB").save(os.path.join(a.out, "page-h.jpg"), "JPEG", quality=85)
    h.save(os.path.join(a.out, "pages-2.tif"), save_all=True, append_images=[page(texts["v"][:1], "h")],
           compression="tiff_lzw")
    truth("pages-2.txt", texts["h"] + texts["v"][:1])
    h.convert("RGB").save(os.path.join(a.out, "image-only.pdf"), "PDF", resolution=300)
    truth("image-only.txt", texts["h"])

    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(TTFont("UMing", FONTS[1][0], subfontIndex=0))
    c = canvas.Canvas(os.path.join(a.out, "text-layer.pdf"), pagesize=(420, 300), invariant=1)
    for page_lines in (texts["h"], texts["v"]):
        c.setFont("UMing", 20)
        for i, line in enumerate(page_lines):
            c.drawString(40, 240 - i * 40, line)
        c.showPage()
    c.save()
    truth("text-layer.txt", texts["h"] + texts["v"])
    scans(a.out, truth)
    print(f"fixtures in {a.out}", file=sys.stderr)


# Real text for the scan fixtures: 張若虛《春江花月夜》 (vertical), 白居易《長恨歌》
# (horizontal), 杜甫《春望》 (the square grids), two verses a line or column.
SCAN_TEXTS = {
    "v": ["春江潮水連海平海上明月共潮生", "灩灩隨波千萬里何處春江無月明", "江流宛轉遶芳甸月照花林皆似霰",
          "空裏流霜不覺飛汀上白沙看不見", "江天一色無纖塵皎皎空中孤月輪", "江畔何人初見月江月何年初照人",
          "人生代代無窮已江月年年望相似", "不知江月待何人但見長江送流水"],
    "h": ["漢皇重色思傾國御宇多年求不得", "楊家有女初長成養在深閨人未識", "天生麗質難自棄一朝選在君王側",
          "回眸一笑百媚生六宮粉黛無顏色", "春寒賜浴華清池溫泉水滑洗凝脂", "侍兒扶起嬌無力始是新承恩澤時"],
    "grid": ["國破山河在城春草木深", "感時花濺淚恨別鳥驚心", "烽火連三月家書抵萬金", "白頭搔更短渾欲不勝簪"],
}


def scans(out, truth):
    """Pages as scanners leave them, for the layout tests: a vertical and a horizontal page
    tilted by 2.5 degrees (more than the gap between two columns or lines moves over the
    page's height or width), blurred, speckled and JPEG-compressed; and a vertical and a
    horizontal page set on a square grid (columns as far apart as the characters in them),
    whose blank rows and columns cannot tell the layout."""
    rng = random.Random(14)
    f = font(*FONTS[0], 40)

    def page(lines, vertical, pitch):
        n, m = len(lines), max(len(l) for l in lines)
        w, h = (60 + n * pitch, 60 + m * 44) if vertical else (60 + m * 44, 60 + n * pitch)
        img = Image.new("L", (w, h), 255)
        d = ImageDraw.Draw(img)
        for i, line in enumerate(lines):
            for j, c in enumerate(line):
                xy = (w - 30 - (i + 1) * pitch + (pitch - 40) // 2, 30 + j * 44) if vertical else (30 + j * 44, 30 + i * pitch)
                d.text(xy, c, font=f, fill=0)
        return img

    def scanned(img, angle):
        img = img.filter(ImageFilter.GaussianBlur(1.0)).rotate(angle, resample=Image.BICUBIC, fillcolor=255)
        img = Image.blend(speckle(img, rng, 150), Image.effect_noise(img.size, 28), 0.12)
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=40)
        return buf.getvalue()

    for name, lines, vertical, angle in (("page-v-skew", SCAN_TEXTS["v"], True, 2.5),
                                         ("page-h-skew", SCAN_TEXTS["h"], False, -2.5)):
        with open(os.path.join(out, name + ".jpg"), "wb") as file:
            file.write(scanned(page(lines, vertical, 66), angle))
        truth(name + ".txt", lines)
    for name, vertical in (("page-v-grid", True), ("page-h-grid", False)):
        page(SCAN_TEXTS["grid"], vertical, 44).save(os.path.join(out, name + ".png"), dpi=(300, 300))
        truth(name + ".txt", SCAN_TEXTS["grid"])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("corpus")
    p.add_argument("out")
    p.add_argument("--pages", type=int, default=12)
    p.add_argument("--seed", type=int, default=5)
    p.add_argument("--variants", default="clean,degraded", help="clean, degraded or both (comma-separated)")
    p.add_argument("--max-angle", type=float, default=1.5, help="largest rotation of a degraded page, degrees")
    p.add_argument("--spacing", type=float, default=1.5, help="line (column) pitch in characters; 1 sets a square grid")
    p.add_argument("--fixtures", action="store_true")
    a = p.parse_args()
    fixtures(a) if a.fixtures else render(a)


if __name__ == "__main__":
    main()
