"""The fonts a PDF is printed with: TrueType copies of the page's CJK font.

Chromium embeds an OpenType-CFF font (Noto Sans CJK, the CJK font of Debian and most Linux
machines) in a PDF as Type 3 glyph procedures: about 1 MB per briefing, about half of the
print's time, and a text layer with wrong code points, because each glyph is mapped back to
the first code point that uses it (页 as the radical ⻚, 风 as ⻛: a reader that takes the text
as written, pypdf for one, cannot find 风险). A TrueType font it embeds as a subset CID font:
a third of the size, printed in less time, with the page's own characters. So before a page
is printed, the browser is given (as web fonts, :meth:`.browser.Browser.print_pdf`) TrueType
copies of the faces fontconfig has for "Noto Sans CJK SC" (the family the stylesheet and the
charts ask for first), cut to a vocabulary of characters and converted from cubic to quadratic
outlines by fontTools' cu2qu (within one unit of the font's 1000-unit em: the same glyphs, in
the same places; matplotlib already depends on fontTools).

The vocabulary is printable ASCII and the characters of every page printed with it so far. A
page with characters outside it makes a new one (about 1 s): the old vocabulary, the page's
characters and those the next pages will likely need (:func:`likely_characters`: the suite's
wording, the project's names and the targets' quotes, about 800 characters for the example),
so that a run seldom makes more than one. Vocabularies are kept in the user's cache
(``$XDG_CACHE_HOME/ontrack/print-fonts``, by the source font's path, size and time and
fontTools' version) and found again by the next run; when a copy is made, copies and folders of
fonts no longer installed that were unused for 30 days are removed; files are written whole (a
temporary file renamed into place). When the family is not a CFF font, has faces other than one
regular and one bold, or a copy cannot be made or loaded, the page is printed with the system's
fonts as before.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

#: the family the briefing's stylesheet and charts ask for first
FAMILY = "Noto Sans CJK SC"

#: fontconfig's weights and the CSS weights they stand for (fontconfig's FcWeightToOpenType)
_FC_WEIGHTS = {0: 100, 40: 200, 50: 300, 55: 350, 75: 400, 80: 400, 100: 500, 180: 600,
               200: 700, 205: 800, 210: 900}  # fmt: skip

#: characters every vocabulary has (printable ASCII, and the ¶ of nbconvert's heading links)
BASE = "".join(chr(c) for c in range(0x20, 0x7F)) + "¶"

#: a vocabulary is started afresh (from ASCII and the page) past this many characters
LIMIT = 4000

#: copies of vocabularies no longer in use are removed after this many days
KEEP_DAYS = 30

#: raised when the way copies are made changes (old copies are then made again)
FORMAT = 3

#: the layout features kept: fontTools' default set without the vertical ones (pages are set
#: horizontally), so the browser shapes the copy as it shapes the original
_VERTICAL = {"vert", "vrt2", "vkrn", "vpal", "vhal", "valt", "vchw", "vjmo"}


@dataclass(frozen=True)
class Face:
    """One installed face of the family: its file, index in a collection and CSS weight."""

    path: Path
    index: int
    weight: int


@dataclass(frozen=True)
class Copy:
    """A face's TrueType copy for a vocabulary, as the browser loads it."""

    family: str
    weight: int
    path: Path

    @property
    def url(self) -> str:
        return self.path.as_uri()


def system_faces(family: str = FAMILY) -> list[Face] | None:
    """The upright faces fontconfig has for ``family``, or None when there is nothing to gain
    (no fontconfig, not installed, not CFF) or the copies could not stand in for the faces
    exactly (faces other than one regular and one bold)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        out = subprocess.run(
            [fc_list, "--format", "%{file}|%{index}|%{weight}|%{slant}|%{fontformat}\n",
             f"{family}:slant=0"],
            capture_output=True, text=True, timeout=30, check=True,
        ).stdout  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    faces: dict[int, Face] = {}
    for line in sorted(set(out.splitlines())):
        try:
            path, index, weight, _slant, fmt = line.split("|")
            css = _FC_WEIGHTS[int(float(weight))]
        except (ValueError, KeyError):
            return None
        if fmt != "CFF" or css in faces:
            return None
        faces[css] = Face(Path(path), int(index), css)
    if sorted(faces) not in ([400], [400, 700]):
        return None
    return [faces[w] for w in sorted(faces)]


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ontrack" / "print-fonts"


def _face_key(face: Face) -> str:
    import fontTools

    st = face.path.stat()
    raw = f"{face.path}|{face.index}|{st.st_size}|{st.st_mtime_ns}|{fontTools.version}|{FORMAT}"
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16]


def _chars_key(chars: frozenset[str]) -> str:
    return hashlib.sha256("".join(sorted(chars)).encode("utf-8")).hexdigest()[:16]


def truetype_copy(face: Face, chars: str, dest: Path) -> Path:
    """Write a TrueType copy of ``face`` holding ``chars`` (and what the layout features reach)
    to ``dest``: the CFF outlines converted to quadratic ones within 1 unit of the font's
    design grid; widths, metrics, names and layout tables kept."""
    from fontTools import subset
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import TTFont, newTable

    dest.parent.mkdir(parents=True, exist_ok=True)  # before the work: fail early
    font = TTFont(str(face.path), fontNumber=face.index, lazy=True)
    options = subset.Options()
    options.layout_features = [f for f in options.layout_features if f not in _VERTICAL]
    options.notdef_outline = True
    options.desubroutinize = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=chars)
    subsetter.subset(font)

    order = font.getGlyphOrder()
    glyphs = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyphs)
        glyphs[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyf.glyphs[name] = pen.glyph()
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    # A TrueType glyph is placed with its left edge at the left side bearing (hmtx), a CFF glyph
    # where its outline says: the bearing is set to the outline's left edge, so nothing moves.
    hmtx = font["hmtx"].metrics
    for name in order:
        glyph = glyf.glyphs[name]
        glyph.recalcBounds(glyf)
        hmtx[name] = (hmtx[name][0], glyph.xMin if glyph.numberOfContours else 0)
    for tag in ("CFF ", "VORG"):
        if tag in font:
            del font[tag]
    maxp = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for attr in (
        "maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
        "maxStackElements", "maxSizeOfInstructions", "maxComponentElements", "maxPoints",
        "maxContours", "maxCompositePoints", "maxCompositeContours", "maxComponentDepth",
    ):  # fmt: skip
        setattr(maxp, attr, 0)
    maxp.maxZones = 1
    maxp.numGlyphs = len(order)
    font["maxp"] = maxp
    font["head"].glyphDataFormat = 0
    font["post"].formatType = 3.0  # no glyph names
    font.sfntVersion = "\x00\x01\x00\x00"
    fd, tmp = tempfile.mkstemp(prefix=".", suffix=".ttf", dir=dest.parent)
    os.close(fd)
    try:
        font.save(tmp)  # maxp's counts, loca and the bounding boxes are worked out here
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return dest


def _alternate(code: int) -> bool:
    """A code point whose glyph a commoner one also uses in CJK fonts, by the cmap or by the
    layout (Chinese text sets the em dash with the horizontal bar's glyph): the radicals (⻚ for
    页, ⼤ for 大), the compatibility ideographs, the figure dash and the horizontal bar. A PDF's
    text is read back through the font's code points, Chromium taking the first one mapped to a
    glyph: with ⻚ in a copy, 页 would copy out of the PDF as ⻚ (as it does from the system's
    font). So no vocabulary holds one."""
    return (
        0x2E80 <= code <= 0x2FDF
        or 0xF900 <= code <= 0xFAFF
        or 0x2F800 <= code <= 0x2FA1F
        or code in (0x2012, 0x2015)
    )


class PrintFonts:
    """TrueType copies of the family's faces for the pages of a run (:func:`for_page`).

    ``faces`` defaults to :func:`system_faces`; ``root`` to :func:`cache_root`. Safe to call
    from several threads; several processes may share a cache (copies are named by content)."""

    def __init__(
        self,
        faces: list[Face] | None = None,
        root: Path | None = None,
        family: str = FAMILY,
        on_event: Callable[[str], None] | None = None,
    ):
        self.family = family
        self.on_event = on_event or (lambda msg: None)
        self.faces = system_faces(family) if faces is None else faces
        self.root = root
        self.builds = 0
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._chars: frozenset[str] = frozenset()
        self._copies: list[Copy] | None = None
        if self.faces:
            try:
                self.root = self.root or cache_root()
                self._folder = self.root / "-".join(_face_key(f) for f in self.faces)
            except (OSError, RuntimeError) as exc:  # a font gone; no home folder for the cache
                self._fail(exc)
                return
            self._adopt_latest()

    def _fail(self, exc: Exception) -> None:
        """Give up for the rest of the run (a cache that cannot be written stays so)."""
        self.faces = None
        self.errors.append(f"{type(exc).__name__}: {exc}")
        self.on_event(
            f"print fonts: no TrueType copy ({self.errors[-1]}): PDFs use the system's fonts"
        )

    def _adopt_latest(self) -> None:
        """Start from the vocabulary last made with this cache, when its copies are there."""
        try:
            chars = frozenset((self._folder / "latest.txt").read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            return
        copies = self._copies_for(chars)
        try:
            for c in copies:
                os.utime(c.path)  # in use: kept by :meth:`_prune`
        except OSError:
            return
        self._chars, self._copies = chars, copies

    def _prune(self, keep: list[Copy]) -> None:
        """Remove copies of other vocabularies, and folders of other fonts (an upgraded font, a
        new fontTools), not used for :data:`KEEP_DAYS` days."""
        cutoff = time.time() - KEEP_DAYS * 86400
        kept = {c.path for c in keep}
        for folder in [self._folder, *(d for d in self.root.iterdir() if d != self._folder)]:
            files = [f for f in folder.glob("*") if f.is_file() and f not in kept]
            for path in files:
                with contextlib.suppress(OSError):
                    if path.stat().st_mtime < cutoff and (
                        folder != self._folder or path.suffix == ".ttf"
                    ):
                        path.unlink()
            if folder != self._folder:
                with contextlib.suppress(OSError):
                    folder.rmdir()  # only once empty

    def _copies_for(self, chars: frozenset[str]) -> list[Copy]:
        key = _chars_key(chars)
        return [
            Copy(self.family, f.weight, self._folder / f"{key}-{f.weight}.ttf") for f in self.faces
        ]

    def for_page(self, text: str, likely: Callable[[], str] | None = None) -> list[Copy] | None:
        """Copies holding every character of ``text`` (a page's HTML), made if need be; None
        when the page is to be printed with the system's fonts. ``likely`` gives characters
        the next pages will probably need (:func:`likely_characters`): asked only when a new
        vocabulary is made, and put in it, so that one is made once rather than page by page."""
        if not self.faces:
            return None
        needed = _characters(text)
        with self._lock:
            if self._copies is not None and needed <= self._chars:
                return self._copies
            more: frozenset[str] = frozenset()
            if likely is not None:
                try:
                    more = _characters(likely())
                except Exception as exc:  # a hint only: the page's own characters suffice
                    self.on_event(f"print fonts: likely characters not read ({exc})")
            chars = self._chars | needed | more | frozenset(BASE)
            if len(chars) > LIMIT:
                chars = needed | frozenset(BASE)
            copies = self._copies_for(chars)
            t0 = time.perf_counter()
            try:
                made = 0
                for face, copy in zip(self.faces, copies, strict=True):
                    if not copy.path.is_file():
                        truetype_copy(face, "".join(sorted(chars)), copy.path)
                        made += 1
                _write(self._folder / "latest.txt", "".join(sorted(chars)))
            except Exception as exc:  # the page is printed with the system's fonts
                self._fail(exc)
                return None
            if made:
                self._prune(copies)
                self.builds += made
                self.on_event(
                    f"print fonts: TrueType copies of {self.family} for {len(chars)} characters "
                    f"made in {time.perf_counter() - t0:.1f} s ({self._folder})"
                )
            self._chars, self._copies = chars, copies
            return copies


def _characters(text: str) -> frozenset[str]:
    """The characters of ``text`` a vocabulary may hold: not control characters, surrogates or
    alternates (:func:`_alternate`; a page that has one prints it with the system's font)."""
    return frozenset(
        c for c in text if c >= " " and not 0xD800 <= ord(c) <= 0xDFFF and not _alternate(ord(c))
    )


#: the files :func:`likely_characters` reads: tables, settings and sources (not documents, whose
#: wording pages do not print, nor spreadsheets)
_TEXT_SUFFIXES = {".csv", ".yml", ".yaml", ".toml", ".py", ".ipynb", ".j2", ".css"}


def likely_characters(paths: Iterable[Path], limit: int = 2_000_000) -> str:
    """The characters of the text files under ``paths`` (files or folders; files over
    ``limit`` bytes and unreadable ones are skipped): for a briefing, the suite's sources and
    notebook (its wording) and the project's data/raw (names of regions, indicators and
    plans)."""
    seen: set[str] = set()
    for root in paths:
        files = [root] if root.is_file() else sorted(root.rglob("*")) if root.is_dir() else []
        for f in files:
            if f.suffix.lower() not in _TEXT_SUFFIXES:
                continue
            try:
                if f.stat().st_size <= limit:
                    seen.update(f.read_text(encoding="utf-8", errors="ignore"))
            except OSError:
                continue
    return "".join(sorted(seen))


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)
