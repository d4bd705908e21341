"""Export an executed briefing notebook to offline HTML (nbconvert) and A4 PDF (headless Chromium).

The HTML has no code, prompts or stderr, embeds its images, fetches nothing (no require.js,
MathJax or mermaid CDN: see the page's template, ontrack/briefing/templates/briefing/index.html.j2)
and declares ``lang="zh-CN"`` so that Chromium picks simplified-Chinese glyph shapes. The PDF is
printed from that same HTML.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

from ..briefing import TEMPLATES, palette
from ..errors import OntrackError

CSS = TEMPLATES / "briefing" / "briefing.css"
HTML_LANG = {"zh": "zh-CN", "en": "en"}
PAGE_FOOTER = {
    "zh": '"第 " counter(page) " 页 / 共 " counter(pages) " 页"',
    "en": '"Page " counter(page) " of " counter(pages)',
}

_EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)
_CSS_URL = re.compile(r"""(?:url\(\s*["']?\s*(?:https?:)?//|@import)""", re.IGNORECASE)


def external_refs(html: str) -> list[str]:
    """Every src/href/url()/@import that would fetch from an address (empty = offline)."""
    hits = [m.group(0) for m in _EXTERNAL.finditer(html)]
    hits += [m.group(0) for m in _CSS_URL.finditer(html)]
    return hits


def stylesheet(lang: str = "zh") -> str:
    """The briefing CSS: the palette's colours (:mod:`.palette`), the stylesheet, and the A4
    page footer (page numbers) in the briefing's language."""
    footer = PAGE_FOOTER.get(lang, PAGE_FOOTER["en"])
    page = (
        "@page { @bottom-center { content: "
        + footer
        + "; font-size: 8pt; color: "
        + palette.colour("muted")
        + ";"
        ' font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei",'
        " sans-serif; } }\n"
    )
    return palette.css_vars() + CSS.read_text(encoding="utf-8") + "\n" + page


def _prune(nb, lang: str):
    """Keep only what a reader should see: drop dev/other-language cells, empty code cells,
    stderr streams and error outputs."""
    drop_tags = {"dev", "remove"} | {f"lang-{x}" for x in HTML_LANG if x != lang}
    cells = []
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & drop_tags or "parameters" in tags or "injected-parameters" in tags:
            continue
        if cell.cell_type == "code":
            cell.outputs = [
                o
                for o in cell.get("outputs", [])
                if o.get("output_type") != "error"
                and not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            ]
            if not cell.outputs:
                continue
        cells.append(cell)
    nb.cells = cells
    return nb


_exporters: dict[str, tuple] = {}
_exporters_lock = threading.Lock()


#: the exporter's settings: the briefing's template, no code, no prompts
EXPORTER_SETTINGS = {
    "template_name": "briefing",
    "extra_template_basedirs": [str(TEMPLATES)],
    "exclude_input": True,
    "exclude_input_prompt": True,
    "exclude_output_prompt": True,
}


def page_resources(lang: str, title: str) -> dict[str, str]:
    """What the template reads besides the notebook: the page's language, stylesheet, title."""
    return {
        "html_lang": HTML_LANG.get(lang, "zh-CN"),
        "briefing_css": stylesheet(lang),
        "briefing_title": title,
    }


def _exporter(lang: str):
    """One HTMLExporter per language, made once per process (its templates compiled once) and
    used by one thread at a time (it keeps per-call state)."""
    with _exporters_lock:
        if lang not in _exporters:
            exporter = _exporter_class()(**EXPORTER_SETTINGS)
            exporter.language_code = lang
            _exporters[lang] = (exporter, threading.Lock())
        return _exporters[lang]


#: a numeric character reference (decimal or hex)
_NCR = re.compile(r"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));")


def _literal(m: re.Match) -> str:
    """A reference to a character outside ASCII as the character (UTF-8 page); ASCII ones (such
    as ``&#60;``) and code points that are not characters stay references."""
    code = int(m.group(1), 16) if m.group(1) else int(m.group(2))
    if code < 0x80 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return m.group(0)
    return chr(code)


def _exporter_class():
    """nbconvert's HTMLExporter without its last step (a class made on first use, so that
    importing this module does not import nbconvert)."""
    from nbconvert import HTMLExporter
    from nbconvert.exporters import TemplateExporter
    from nbconvert.filters import DataTypeFilter, Highlight2HTML

    class BriefingExporter(HTMLExporter):
        """HTMLExporter's page without its closing BeautifulSoup pass, which gives an ``<img>``
        without alt text a placeholder and makes Jupyter's cell wrappers focusable: the
        briefing's template writes neither (charts are inline SVG with a role and a label, and
        there are no cell wrappers), and the pass parsed and wrote the whole page again, 0.15 to
        0.25 s of the 0.3 s an export took. Its two filters are registered once here (the
        briefing has no widgets, so the data-type filter is the plain one); a test compares the
        page with HTMLExporter's. As that pass did, characters the template wrote as
        numeric references (nbconvert writes a heading's text as ``&#30446;&#26631;``) are
        written as themselves, so that the page's text is its source's (and the print's font
        vocabulary, :mod:`.printfonts`, sees every character)."""

        def __init__(self, **kw):
            super().__init__(**kw)
            self.register_filter("highlight_code", Highlight2HTML(parent=self))
            self.register_filter("filter_data_type", DataTypeFilter(parent=self))

        def from_notebook_node(self, nb, resources=None, **kw):
            html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
            return _NCR.sub(_literal, html), resources

    return BriefingExporter


def warm_up(langs: tuple[str, ...] = ("zh",)) -> None:
    """Import nbconvert and compile the templates ahead of the first briefing (the render
    engine does it while its kernels start)."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    for lang in langs:
        export_html(nb, lang=lang, title="warm-up")


def export_html(nb, lang: str = "zh", title: str = "") -> str:
    """Offline HTML of an executed notebook (a copy is pruned; ``nb`` is left as it is)."""
    import copy

    lang = lang if lang in HTML_LANG else "zh"
    resources = page_resources(lang, title)
    exporter, lock = _exporter(lang)
    with lock:
        body, _ = exporter.from_notebook_node(_prune(copy.deepcopy(nb), lang), resources=resources)
    refs = external_refs(body)
    if refs:
        raise OntrackError(f"the briefing HTML would fetch from the network: {refs[:3]}")
    return body


# ---------------------------------------------------------------------------- browser
_NAMES = (
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
    "chrome",
    "msedge",
    "microsoft-edge",
    "microsoft-edge-stable",
    "brave-browser",
)
_PATHS = (
    r"C:\Program Files\Google\Chrome\Application\chrome.exe",
    r"C:\Program Files (x86)\Google\Chrome\Application\chrome.exe",
    r"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe",
    r"C:\Program Files\Microsoft\Edge\Application\msedge.exe",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    "/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
    "/snap/bin/chromium",
)


#: Flags of every headless Chromium the suite starts (one-shot print or the kept-open browser).
BROWSER_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--mute-audio",
)


def find_browser() -> str:
    """A Chromium-family browser for printing PDFs (env ONTRACK_BROWSER overrides)."""
    env = os.environ.get("ONTRACK_BROWSER")
    if env:
        found = shutil.which(env) or (env if Path(env).is_file() else None)
        if not found:
            raise OntrackError(f"ONTRACK_BROWSER={env!r} is not an executable browser")
        return found
    for name in _NAMES:
        found = shutil.which(name)
        if found:
            return found
    local = os.environ.get("LOCALAPPDATA")
    extra = [rf"{local}\Google\Chrome\Application\chrome.exe"] if local else []
    for p in (*_PATHS, *extra):
        if Path(p).is_file():
            return p
    raise OntrackError(
        "no Chromium-family browser found to print the PDF: install chromium (Debian/Ubuntu: "
        "apt-get install chromium), Google Chrome or Microsoft Edge, or set ONTRACK_BROWSER to "
        "its path; or render with --format html"
    )


def print_pdf(
    html_path: str | os.PathLike, pdf_path: str | os.PathLike, timeout: float = 180
) -> Path:
    """Print an HTML file to an A4 PDF (size and page numbers come from the CSS @page)."""
    browser = find_browser()
    html_path, pdf_path = Path(html_path).resolve(), Path(pdf_path).resolve()
    with tempfile.TemporaryDirectory(prefix="ontrack-chromium-") as profile:
        cmd = [
            browser,
            *BROWSER_FLAGS,
            f"--user-data-dir={profile}",
            f"--print-to-pdf={pdf_path}",
            "--no-pdf-header-footer",
            html_path.as_uri(),
        ]
        try:
            proc = subprocess.run(
                cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
            )
        except subprocess.TimeoutExpired:
            raise OntrackError(
                f"{browser} did not finish printing the PDF within {timeout:.0f} s"
            ) from None
    if proc.returncode != 0 or not pdf_path.is_file() or pdf_path.stat().st_size == 0:
        tail = (proc.stderr or "").strip().splitlines()[-3:]
        raise OntrackError(
            f"{browser} failed to print the PDF (exit {proc.returncode}): {' | '.join(tail)}"
        )
    return pdf_path
