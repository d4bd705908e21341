"""PDF fonts (ontrack.render.printfonts): TrueType copies of a CFF font keep its glyphs, widths
and characters; the vocabulary grows only when a page needs it and is found again by the next
run; anything wrong leaves the page on the system's fonts. The copies are tested on a small
CFF font drawn here (coordinates worked out by hand), and in a real Chromium on the system's
Noto Sans CJK SC where the machine has it."""

from __future__ import annotations

import math
import subprocess
import unicodedata
from pathlib import Path

import pytest
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.recordingPen import DecomposingRecordingPen
from fontTools.pens.t2CharStringPen import T2CharStringPen
from fontTools.ttLib import TTFont

from ontrack.errors import OntrackError
from ontrack.render import printfonts
from ontrack.render.printfonts import Face, PrintFonts, system_faces, truetype_copy

K = 0.5523  # a quarter circle as one cubic: control points at K times the radius

# "数" stands for a CJK character: any code point the test font maps works the same way; the
# radical ⻚ shares the circle's glyph with O, as Noto Sans CJK's ⻚ shares 页's
CHARS = {"A": "square", "O": "circle", "B": "square", "数": "square", " ": "space", "⻚": "circle"}


def _square(pen):
    # counter-clockwise in y-up coordinates (the CFF convention for an outer contour)
    pen.moveTo((100, 0))
    pen.lineTo((500, 0))
    pen.lineTo((500, 700))
    pen.lineTo((100, 700))
    pen.closePath()


def _circle(pen, cx=300, cy=300, r=200):
    k = K * r
    pen.moveTo((cx + r, cy))
    pen.curveTo((cx + r, cy + k), (cx + k, cy + r), (cx, cy + r))
    pen.curveTo((cx - k, cy + r), (cx - r, cy + k), (cx - r, cy))
    pen.curveTo((cx - r, cy - k), (cx - k, cy - r), (cx, cy - r))
    pen.curveTo((cx + k, cy - r), (cx + r, cy - k), (cx + r, cy))
    pen.closePath()


def _cff_font(path: Path, family: str = "Test Sans", style: str = "Regular") -> Path:
    """An OpenType-CFF font with .notdef, a square (A, B, 数), a circle (O) and a space."""
    names = [".notdef", "square", "circle", "space"]
    fb = FontBuilder(1000, isTTF=False)
    fb.setupGlyphOrder(names)
    fb.setupCharacterMap({ord(c): g for c, g in CHARS.items()})
    strings = {}
    for name, draw in ((".notdef", _square), ("square", _square), ("circle", _circle)):
        pen = T2CharStringPen(600, None)
        draw(pen)
        strings[name] = pen.getCharString()
    strings["space"] = T2CharStringPen(250, None).getCharString()
    fb.setupCFF(family.replace(" ", "") + "-" + style, {"FullName": family}, strings, {})
    widths = {".notdef": 600, "square": 600, "circle": 600, "space": 250}
    fb.setupHorizontalMetrics({n: (w, 0) for n, w in widths.items()})
    fb.setupHorizontalHeader(ascent=880, descent=-120)
    fb.setupNameTable({"familyName": family, "styleName": style})
    fb.setupOS2(sTypoAscender=880, usWinAscent=880, usWinDescent=120)
    fb.setupPost()
    fb.save(str(path))
    return path


@pytest.fixture
def cff(tmp_path) -> Face:
    return Face(_cff_font(tmp_path / "test.otf"), 0, 400)


def _outline(font: TTFont, char: str) -> list[tuple[str, tuple]]:
    glyph = font.getBestCmap()[ord(char)]
    pen = DecomposingRecordingPen(font.getGlyphSet())
    font.getGlyphSet()[glyph].draw(pen)
    return pen.value


def _quad_points(value, steps: int = 16) -> list[tuple[float, float]]:
    """Points along an outline of lines and quadratic curves (on- and off-curve points as a
    TrueType pen gives them: qCurveTo may carry several off-curve points)."""
    pts, here = [], None
    for op, args in value:
        if op == "moveTo":
            here = args[0]
        elif op == "lineTo":
            here = args[0]
            pts.append(here)
        elif op == "qCurveTo":
            offs, end = list(args[:-1]), args[-1]
            # implied on-curve points halfway between consecutive off-curve points
            for i, off in enumerate(offs):
                nxt = (
                    end
                    if i == len(offs) - 1
                    else ((off[0] + offs[i + 1][0]) / 2, (off[1] + offs[i + 1][1]) / 2)
                )
                for s in range(1, steps + 1):
                    t = s / steps
                    pts.append(
                        tuple(
                            (1 - t) ** 2 * here[j] + 2 * (1 - t) * t * off[j] + t**2 * nxt[j]
                            for j in (0, 1)
                        )
                    )
                here = nxt
    return pts


def _signed_area(points) -> float:
    return sum(
        x0 * y1 - x1 * y0
        for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1], strict=True)
    )


# ---------------------------------------------------------------------------- the copy
def test_a_truetype_copy_keeps_the_glyphs_widths_and_only_the_characters_asked_for(cff, tmp_path):
    out = truetype_copy(cff, "AO数", tmp_path / "copy.ttf")
    font = TTFont(str(out))
    assert "glyf" in font and "CFF " not in font
    assert font.sfntVersion == "\x00\x01\x00\x00"
    assert set(font.getBestCmap()) == {ord("A"), ord("O"), ord("数")}  # not B, not space
    # the square's corners exactly; turned clockwise, TrueType's direction for an outer contour
    square = _outline(font, "A")
    corners = [args[0] for op, args in square if op in ("moveTo", "lineTo")]
    assert sorted(corners) == sorted([(100, 0), (500, 0), (500, 700), (100, 700)])
    assert _signed_area(corners) < 0
    assert _outline(font, "数") == square  # one glyph for both characters, as in the source
    # the circle: quadratic now, every point within 1 unit of the cubic circle of radius 200
    # (the cubic itself is within 0.06 units of the true circle: 200 × 0.027%)
    circle = _outline(font, "O")
    assert {op for op, _ in circle} <= {"moveTo", "qCurveTo", "lineTo", "closePath"}
    assert "qCurveTo" in {op for op, _ in circle}
    radii = [math.hypot(x - 300, y - 300) for x, y in _quad_points(circle)]
    assert min(radii) >= 199 and max(radii) <= 201
    # widths as in the source
    hmtx = font["hmtx"].metrics
    cmap = font.getBestCmap()
    assert hmtx[cmap[ord("A")]][0] == 600 and hmtx[cmap[ord("O")]][0] == 600
    # the bounding box worked out on save: the circle spans 100..500 both ways
    glyph = font["glyf"][cmap[ord("O")]]
    glyph.recalcBounds(font["glyf"])
    assert (glyph.xMin, glyph.yMin, glyph.xMax, glyph.yMax) == pytest.approx(
        (100, 100, 500, 500), abs=1
    )
    assert font["maxp"].numGlyphs == len(font.getGlyphOrder())


def test_no_vocabulary_holds_a_code_point_that_shares_a_commoner_ones_glyph(cff, tmp_path):
    """Chromium reads a PDF's text back through the first code point mapped to each glyph:
    with the radical ⻚ (U+2EDA) beside O on one glyph, O would copy out as ⻚; and Chinese text
    sets the em dash with the horizontal bar's glyph (U+2015), so with U+2015 in the copy an em
    dash would copy out as a horizontal bar."""
    fonts = PrintFonts([cff], root=tmp_path / "cache")
    copies = fonts.for_page("AO⻚\u2015\u2012–—", likely=lambda: "⼤\uf900")
    cmap = set(TTFont(str(copies[0].path)).getBestCmap())
    assert ord("O") in cmap
    assert not {0x2EDA, 0x2F24, 0xF900, 0x2015, 0x2012} & cmap


def test_a_copy_is_written_whole_or_not_at_all(cff, tmp_path):
    broken = Face(tmp_path / "not-a-font.otf", 0, 400)
    broken.path.write_text("not a font", encoding="utf-8")
    with pytest.raises(Exception):  # noqa: B017 - fontTools' own error, whatever its class
        truetype_copy(broken, "A", tmp_path / "out" / "copy.ttf")
    assert not (tmp_path / "out" / "copy.ttf").exists()
    assert list((tmp_path / "out").glob("*")) == [] if (tmp_path / "out").exists() else True


# ---------------------------------------------------------------------------- vocabulary
def test_the_vocabulary_grows_only_when_a_page_needs_it_and_the_next_run_finds_it(cff, tmp_path):
    bold = Face(_cff_font(tmp_path / "test-bold.otf", style="Bold"), 0, 700)
    events: list[str] = []
    fonts = PrintFonts([cff, bold], root=tmp_path / "cache", on_event=events.append)
    first = fonts.for_page("<p>A</p>")
    assert fonts.builds == 2  # regular and bold
    assert [c.weight for c in first] == [400, 700]
    assert all(c.family == printfonts.FAMILY and c.path.is_file() for c in first)
    assert first[0].url.startswith("file:///")
    assert len(events) == 1 and "TrueType" in events[0]
    # every character of printable ASCII comes with the first vocabulary
    assert ord("B") in TTFont(str(first[0].path)).getBestCmap()

    assert fonts.for_page("<b>BOA</b>") == first  # nothing new: the same copies
    assert fonts.builds == 2

    grown = fonts.for_page("<p>数</p>")  # a new character: a new vocabulary, the old one in it
    assert fonts.builds == 4 and grown != first
    cmap = TTFont(str(grown[0].path)).getBestCmap()
    assert {ord("数"), ord("A"), ord("O")} <= set(cmap)

    # the likely characters come in with a new vocabulary (asked only then)
    likely = fonts.for_page("<p>é</p>", likely=lambda: "O数")
    assert fonts.builds == 6
    assert {ord("O"), ord("数")} <= set(TTFont(str(likely[0].path)).getBestCmap())
    assert fonts.for_page("<p>é</p>", likely=lambda: "never asked") == likely

    again = PrintFonts([cff, bold], root=tmp_path / "cache")  # the next run
    assert again.for_page("<p>A 数</p>") == likely
    assert again.builds == 0


def test_copies_and_folders_unused_for_30_days_are_removed_when_a_copy_is_made(cff, tmp_path):
    import os
    import time

    root = tmp_path / "cache"
    fonts = PrintFonts([cff], root=root)
    first = fonts.for_page("A")[0].path
    old_font = root / "an-older-font"
    old_font.mkdir()
    (old_font / "x-400.ttf").write_bytes(b"")
    (old_font / "latest.txt").write_text("A", encoding="utf-8")
    recent = root / "a-recent-font"
    recent.mkdir()
    (recent / "y-400.ttf").write_bytes(b"")
    month_ago = time.time() - 31 * 86400
    for f in (first, old_font / "x-400.ttf", old_font / "latest.txt"):
        os.utime(f, (month_ago, month_ago))
    fonts.for_page("数")  # a new vocabulary: the old copy and the old font's folder go
    assert not first.exists() and not old_font.exists()
    assert (recent / "y-400.ttf").exists() and (first.parent / "latest.txt").exists()


def test_a_vocabulary_past_the_limit_starts_afresh(cff, tmp_path, monkeypatch):
    monkeypatch.setattr(printfonts, "LIMIT", len(printfonts.BASE) + 1)
    fonts = PrintFonts([cff], root=tmp_path / "cache")
    fonts.for_page("数")  # ASCII and 数: at the limit
    copies = fonts.for_page("é")  # one more would pass it: ASCII and é, without 数
    assert ord("数") not in TTFont(str(copies[0].path)).getBestCmap()


def test_likely_characters_that_cannot_be_read_leave_the_pages_own(cff, tmp_path):
    def unreadable():
        raise OSError("no such project")

    events: list[str] = []
    fonts = PrintFonts([cff], root=tmp_path / "cache", on_event=events.append)
    copies = fonts.for_page("AO", likely=unreadable)
    assert {ord("A"), ord("O")} <= set(TTFont(str(copies[0].path)).getBestCmap())
    assert "no such project" in events[0]


def test_no_copies_means_the_system_fonts(cff, tmp_path):
    assert PrintFonts([], root=tmp_path).for_page("A") is None
    events: list[str] = []
    broken = Face(tmp_path / "gone.otf", 0, 400)
    fonts = PrintFonts([broken], root=tmp_path / "cache", on_event=events.append)
    assert fonts.for_page("A") is None
    assert fonts.errors and "system's fonts" in events[-1]


def test_no_home_folder_means_the_system_fonts(cff, monkeypatch):
    def no_home():
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setattr(printfonts.Path, "home", staticmethod(no_home))
    fonts = PrintFonts([cff])
    assert fonts.for_page("A") is None and "home directory" in fonts.errors[0]


def test_a_cache_that_cannot_be_written_is_given_up_for_the_run(cff, tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("", encoding="utf-8")  # the cache's folder would be under a file
    fonts = PrintFonts([cff], root=blocked / "cache")
    assert fonts.for_page("A") is None and len(fonts.errors) == 1
    assert fonts.for_page("数") is None and len(fonts.errors) == 1  # not tried page by page


@pytest.mark.parametrize(
    ("listing", "expected"),
    [
        (
            "/f/R.ttc|2|80|0|CFF\n/f/B.ttc|2|200|0|CFF\n",
            [("/f/R.ttc", 2, 400), ("/f/B.ttc", 2, 700)],
        ),
        ("/f/R.otf|0|80|0|CFF\n", [("/f/R.otf", 0, 400)]),
        ("", None),  # not installed
        ("/f/R.ttf|0|80|0|TrueType\n", None),  # TrueType already: nothing to gain
        ("/f/R.ttc|2|80|0|CFF\n/f/M.ttc|2|100|0|CFF\n/f/B.ttc|2|200|0|CFF\n", None),  # a medium
        ("/f/B.ttc|2|200|0|CFF\n", None),  # no regular face
        ("garbage\n", None),
    ],
)
def test_the_system_faces_are_one_regular_and_one_bold_cff_face(monkeypatch, listing, expected):
    monkeypatch.setattr(printfonts.shutil, "which", lambda name: "/usr/bin/fc-list")

    def run(cmd, **kwargs):
        assert cmd[-1] == "Noto Sans CJK SC:slant=0"
        return subprocess.CompletedProcess(cmd, 0, stdout=listing, stderr="")

    monkeypatch.setattr(printfonts.subprocess, "run", run)
    faces = system_faces()
    if expected is None:
        assert faces is None
    else:
        assert [(str(f.path), f.index, f.weight) for f in faces] == expected


def test_without_fontconfig_there_are_no_copies(monkeypatch):
    monkeypatch.setattr(printfonts.shutil, "which", lambda name: None)
    assert system_faces() is None


# ---------------------------------------------------------------------------- in Chromium
def _browser():
    from ontrack.render.export import find_browser

    try:
        return find_browser()
    except OntrackError:
        return None


needs_real_fonts = pytest.mark.skipif(
    _browser() is None or system_faces() is None,
    reason="needs Chromium and Noto Sans CJK SC as a CFF font (fonts-noto-cjk)",
)

PAGE = """<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><style>
body { font-family: "Noto Sans CJK SC", sans-serif; font-size: 14pt; }
b { font-weight: 700; }
</style></head><body><p>新增孵化空间 32 万㎡</p><p><b>示例数据</b></p></body></html>"""


def _fonts(pdf: Path) -> list[tuple[str, str]]:
    """(subtype, descendant subtype) of every font on every page."""
    from pypdf import PdfReader

    out = []
    for page in PdfReader(pdf).pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            sub = ""
            if "/DescendantFonts" in font:
                sub = font["/DescendantFonts"][0].get_object()["/Subtype"]
            out.append((font["/Subtype"], sub))
    return out


@pytest.mark.render
@needs_real_fonts
def test_chromium_embeds_the_copies_as_truetype_and_the_text_is_unchanged(tmp_path):
    from pypdf import PdfReader

    from ontrack.render.browser import Browser

    html = tmp_path / "page.html"
    html.write_text(PAGE, encoding="utf-8")
    fonts = PrintFonts(root=tmp_path / "cache")
    copies = fonts.for_page(PAGE)
    assert [c.weight for c in copies] == [400, 700]
    browser = Browser(tmp_path / "profile")
    try:
        browser.print_pdf(html, tmp_path / "with.pdf", fonts=copies)
        browser.print_pdf(html, tmp_path / "without.pdf")
        gone = [printfonts.Copy(printfonts.FAMILY, 400, tmp_path / "missing.ttf")]
        browser.print_pdf(html, tmp_path / "fallback.pdf", fonts=gone)
    finally:
        browser.close()
    # with the copies: two TrueType CID fonts (regular, bold), no Type 3 glyph procedures
    assert sorted(_fonts(tmp_path / "with.pdf")) == [("/Type0", "/CIDFontType2")] * 2
    # the system's CFF font: Type 3 (what the copies are for)
    assert {s for s, _ in _fonts(tmp_path / "without.pdf")} == {"/Type3"}
    text = [PdfReader(tmp_path / f"{n}.pdf").pages[0].extract_text() for n in ("with", "without")]
    assert text[0] == "新增孵化空间 32 万㎡\n示例数据"
    # The system font's text is the same once compatibility forms are folded: Chromium maps a
    # Type 3 glyph to the first code point that uses it, so the bold 示 is copied out of the
    # PDF as the Kangxi radical ⽰ (U+2F70); the copies map only the page's own characters.
    radicals = "".join(
        unicodedata.normalize("NFKC", c) if 0x2E80 <= ord(c) <= 0x2FDF else c for c in text[1]
    )
    assert radicals == text[0]
    # a copy that cannot be loaded: printed all the same, with the system's fonts, and said
    assert {s for s, _ in _fonts(tmp_path / "fallback.pdf")} == {"/Type3"}
    assert len(browser.font_errors) == 1 and "page.html" in browser.font_errors[0]


def test_the_likely_characters_are_those_of_tables_settings_and_sources(tmp_path):
    (tmp_path / "plans" / "p").mkdir(parents=True)
    (tmp_path / "plans" / "p" / "regions.csv").write_text("id,name\nkunyang,昆阳镇\n", "utf-8")
    (tmp_path / "plans" / "p" / "plan.yml").write_text("name: 平阳\n", encoding="utf-8")
    (tmp_path / "code.py").write_text('MSG = "鳌江"\n', encoding="utf-8")
    (tmp_path / "plans" / "p" / "plan.txt").write_text("聚焦", encoding="utf-8")  # a document
    (tmp_path / "report.xlsx").write_bytes(b"PK\x03\x04 \xe6\xb5\x99")  # a spreadsheet
    (tmp_path / "big.csv").write_text("萬" * 50, encoding="utf-8")  # over the limit below
    chars = printfonts.likely_characters([tmp_path], limit=100)
    assert set("昆阳镇平鳌江") <= set(chars)
    assert not set("聚焦萬浙") & set(chars)
    assert printfonts.likely_characters([tmp_path / "code.py", tmp_path / "gone"]) == (
        '\n "=GMS江鳌'
    )
