"""The web page of `wenflow serve` in a real headless browser: Debian's Chromium, driven by
Playwright (the `playwright` package from PyPI, which drives the installed browser and
downloads none).

    python browser.py BASE_URL SHOTS_DIR WENFLOW WATCH_DIR OUT_DIR SAVED_HTML

The server serves OUT_DIR, the output of `wenflow stream --watch WATCH_DIR`. The script
searches in traditional and in simplified characters, reads a document with its entities
and its near duplicate, draws the reports, then adds a poem to the watched folder, runs
one stream pass and waits for the open page to show it, without reloading. Last it opens
SAVED_HTML (`wenflow report --html`) from disk, with no server, and checks its plots and
tables. Screenshots go
to SHOTS_DIR and are checked for what they must show. Any request to another origin, any
error in the page's console, fails the test.
"""
import json
import os
import subprocess
import sys

from PIL import Image
from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]


def check_screenshot(path, min_colors, ink_share, ink=None):
    """The screenshot is not blank: enough distinct colours, and enough pixels of `ink`
    (an RGB predicate) or, without it, of anything but the background."""
    img = Image.open(path).convert("RGB")
    small = img.resize((img.width // 2, img.height // 2))
    pixels = list(small.getdata())
    colors = len(set(pixels))
    background = max(set(pixels[:: max(1, len(pixels) // 5000)]), key=pixels.count)
    test = ink or (lambda p: sum(abs(a - b) for a, b in zip(p, background)) > 60)
    share = sum(1 for p in pixels if test(p)) / len(pixels)
    assert colors >= min_colors, f"{path}: {colors} colours"
    assert share >= ink_share, f"{path}: {share:.4f} of the pixels are ink"
    print(f"ok screenshot {os.path.basename(path)}: {img.width}x{img.height}, {colors} colours, {share:.1%} ink")


def main():
    base, shots, wenflow, watch, out, saved = sys.argv[1:7]
    base = base.rstrip("/")
    os.makedirs(shots, exist_ok=True)
    problems = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("request", lambda r: None if r.url.startswith(base) or r.url.startswith("data:")
                else problems.append(f"request to another origin: {r.url}"))

        page.goto(base + "/")
        page.wait_for_selector("#status:has-text('epoch')")
        epoch0 = json.loads(page.evaluate("fetch('/api/status').then(r => r.text())"))["epoch"]

        # A line in traditional characters, typed and submitted; the corpus has it in simplified.
        page.fill("#q", "宮女愁蛾淺")
        page.press("#q", "Enter")
        page.wait_for_selector("article.hit")
        ids = page.eval_on_selector_all("article.hit", "els => els.map(e => e.dataset.docId)")
        assert set(ids[:2]) == {"hj-0", "cx-0"}, f"traditional query: {ids}"
        marks = page.eval_on_selector_all("article.hit .snippet mark", "els => els.map(e => e.textContent)")
        assert "".join(marks[:1]) in ("宫女愁蛾浅", "宮女愁蛾淺") or any("宫女" in m for m in marks), marks
        page.screenshot(path=f"{shots}/search.png")
        print(f"ok traditional query finds {ids[:2]}, marked {marks[:2]}")

        # The same line in simplified characters, from a shared link.
        page.goto(base + "/#/search?q=" + "宫女愁蛾浅")
        page.wait_for_selector("article.hit")
        ids2 = page.eval_on_selector_all("article.hit", "els => els.map(e => e.dataset.docId)")
        assert set(ids2[:2]) == {"hj-0", "cx-0"}, f"simplified query: {ids2}"
        print(f"ok simplified query finds {ids2[:2]}")

        # A filter: the anthology only.
        page.goto(base + "/#/search?q=" + "宫女愁蛾浅" + "&collection=" + "词选")
        page.wait_for_function("document.querySelectorAll('article.hit').length === 1")
        assert page.get_attribute("article.hit", "data-doc-id") == "cx-0"
        print("ok collection filter")

        # The document view, reached by clicking a hit: text with its entities marked, its
        # duplicate beside it with the changed character marked.
        page.goto(base + "/#/search?q=" + "碧砌花光照眼明")
        page.wait_for_selector("article.hit")
        page.click("article.hit[data-doc-id='nt-1'] a.doc-link")
        page.wait_for_selector("#doc-title")
        assert "望远行" in page.inner_text("#doc-title")
        kinds = page.eval_on_selector_all("#doc-text mark.entity", "els => els.map(e => e.dataset.kind + ':' + e.textContent)")
        assert "PLACE:秣陵" in kinds, kinds
        page.wait_for_selector("#cluster .dup-member")
        members = page.eval_on_selector_all("#cluster .dup-member a.member-link", "els => els.map(e => e.textContent)")
        changed = page.eval_on_selector_all("#cluster del, #cluster ins", "els => els.map(e => e.tagName + ':' + e.textContent)")
        assert any(c.endswith(":花") for c in changed) and any(c.endswith(":風") for c in changed), changed
        assert page.locator("#cluster .badge.kept").count() >= 1
        page.screenshot(path=f"{shots}/document.png", full_page=True)
        print(f"ok document view: entities {kinds}, cluster {len(members)} cards, changes {changed}")

        # An OCRed page's document: its page with the confidence.
        page.goto(base + "/#/doc/" + "page-h-grid.png")
        page.wait_for_selector("#pages")
        assert "0.82" in page.inner_text("#pages") or "82" in page.inner_text("#pages"), page.inner_text("#pages")
        print("ok page confidence shown")

        # The reports with their plots.
        page.goto(base + "/#/reports")
        page.wait_for_selector("svg.plot[data-report='timeline'] rect.bar")
        page.wait_for_selector("svg.plot[data-report='top_entities'] rect.bar")
        page.wait_for_selector("svg.plot[data-report='duplicates_across'] rect.bar")
        page.wait_for_selector("section.report[data-report='summary'] table.report-table")
        bars = page.eval_on_selector_all("svg.plot rect.bar", "els => els.length")
        page.screenshot(path=f"{shots}/reports.png", full_page=True)
        page.locator("svg.plot[data-report='timeline']").screenshot(path=f"{shots}/timeline.png")
        print(f"ok reports drawn: {bars} bars")

        # A stream pass adds a poem; the open page follows without reloading.
        page.goto(base + "/#/search?q=" + "孤山寺北賈亭西")
        page.wait_for_selector("#summary")
        before = page.locator("article.hit").count()
        assert before == 0, f"the poem is not there yet: {before}"
        page.evaluate("window.__same_page = true")
        with open(os.path.join(watch, "added.jsonl"), "w", encoding="utf-8") as f:
            f.write(json.dumps({"id": "added-1", "title": "錢塘湖春行", "author": "白居易", "dynasty": "唐",
                                "collection": "词选", "paragraphs": ["孤山寺北賈亭西，水面初平雲腳低。",
                                                                 "幾處早鶯爭暖樹，誰家新燕啄春泥。"]}, ensure_ascii=False) + "\n")
        run = subprocess.run([wenflow, "stream", "--watch", watch, "--once", "--out", out], capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        page.wait_for_selector("article.hit[data-doc-id='added-1']", timeout=30000)
        assert page.evaluate("window.__same_page") is True, "the page was reloaded"
        status = page.inner_text("#status")
        assert f"epoch {epoch0 + 1}" in status or f"epoch {epoch0}" not in status, status
        page.screenshot(path=f"{shots}/live.png")
        print(f"ok the open page shows the new epoch: {status!r}")

        # The saved report, from disk: no server, nothing fetched.
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda m: problems.append(f"saved console {m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(f"saved page error: {e}"))
        url = "file://" + os.path.abspath(saved)
        page.on("request", lambda r: None if r.url.split("#")[0] == url or r.url.startswith("data:")
                else problems.append(f"saved page requested {r.url}"))
        page.goto(url)
        page.wait_for_selector("svg.plot[data-report='timeline'] rect.bar")
        page.wait_for_selector("section.report[data-report='summary'] table.report-table")
        assert page.locator("section.report[data-report='why']").count() == 0
        assert not page.is_visible("#nav a[data-view='search']")
        saved_bars = page.eval_on_selector_all("svg.plot rect.bar", "els => els.length")
        assert saved_bars == bars, f"saved page: {saved_bars} bars, served page {bars}"
        page.screenshot(path=f"{shots}/saved.png", full_page=True)
        print(f"ok saved report: {saved_bars} bars, {page.inner_text('#status')!r}")
        browser.close()

    assert not problems, "\n".join(problems)
    check_screenshot(f"{shots}/search.png", 20, 0.01)
    check_screenshot(f"{shots}/document.png", 20, 0.02)
    check_screenshot(f"{shots}/reports.png", 20, 0.02)
    check_screenshot(f"{shots}/saved.png", 20, 0.02)
    # The timeline's bars: saturated pixels (the bars' colour), not only text and axes.
    check_screenshot(f"{shots}/timeline.png", 3, 0.005, ink=lambda p: max(p) - min(p) > 40)
    print("ok no request left the server, no console error")


if __name__ == "__main__":
    main()
