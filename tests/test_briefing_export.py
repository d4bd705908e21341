"""Export helpers: offline check, pruning of what a reader must not see, browser discovery."""

from __future__ import annotations

import re

import nbformat
import pytest

from ontrack.errors import OntrackError
from ontrack.render.export import _prune, external_refs, find_browser, stylesheet


@pytest.mark.parametrize(
    "html",
    [
        '<script src="https://cdnjs.cloudflare.com/require.js"></script>',
        "<link href='http://example.org/x.css' rel=stylesheet>",
        '<img src="//cdn.example.org/a.png">',
        "<style>@import 'fonts.css';</style>",
        "<style>body{background:url(https://x.org/b.png)}</style>",
    ],
)
def test_external_addresses_are_found(html):
    assert external_refs(html)


def test_embedded_images_and_plain_text_addresses_are_fine():
    html = '<img src="data:image/png;base64,AAAA"><p>http://www.zjpy.gov.cn/art/2025/7/10/</p>'
    assert external_refs(html) == []


def test_prune_keeps_only_what_a_reader_sees():
    nb = nbformat.v4.new_notebook()
    code = nbformat.v4.new_code_cell
    nb.cells = [
        nbformat.v4.new_markdown_cell("dev note", metadata={"tags": ["dev"]}),
        code("plan = 'x'", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_markdown_cell("## 目标", metadata={"tags": ["lang-zh"]}),
        nbformat.v4.new_markdown_cell("## Targets", metadata={"tags": ["lang-en"]}),
        code("import x"),  # no output: dropped
        code(
            "b.cover()",
            outputs=[
                nbformat.v4.new_output("stream", name="stderr", text="UserWarning: ..."),
                nbformat.v4.new_output("execute_result", data={"text/html": "<p>ok</p>"}),
            ],
        ),
    ]
    out = _prune(nb, "zh")
    assert [c.source for c in out.cells] == ["## 目标", "b.cover()"]
    assert [o.output_type for o in out.cells[1].outputs] == ["execute_result"]  # stderr gone


def test_page_numbers_in_the_briefing_language():
    assert 'counter(page) " 页' in stylesheet("zh") and "size: A4" in stylesheet("zh")
    assert '"Page " counter(page)' in stylesheet("en")


def test_missing_browser_names_what_to_install(monkeypatch, tmp_path):
    monkeypatch.delenv("ONTRACK_BROWSER", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr("ontrack.render.export._PATHS", ())
    monkeypatch.delenv("LOCALAPPDATA", raising=False)
    with pytest.raises(OntrackError, match="install chromium"):
        find_browser()


def test_browser_override(monkeypatch, tmp_path):
    fake = tmp_path / "my-chrome"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("ONTRACK_BROWSER", str(fake))
    assert find_browser() == str(fake)
    monkeypatch.setenv("ONTRACK_BROWSER", str(tmp_path / "missing"))
    with pytest.raises(OntrackError, match="ONTRACK_BROWSER"):
        find_browser()


def _briefing_like_notebook():
    """The kinds of cells a briefing has: markdown narrative (a table, emphasis, Chinese) and
    HTML outputs (an inline SVG chart, a table, a folded section), with a stream and an error
    that pruning drops."""
    code, out = nbformat.v4.new_code_cell, nbformat.v4.new_output
    svg = (
        '<svg viewBox="0 0 10 10" class="chart" role="img" aria-label="新增孵化空间">'
        '<text x="1" y="5" style="font-family: \'Noto Sans CJK SC\'">万㎡</text></svg>'
    )
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("## 目标进展\n\n| 指标 | 目标 |\n|---|---|\n| 空间 | 22 |"),
        code(
            "b.cover()",
            outputs=[out("display_data", data={"text/html": "<h1>简报 &amp; 说明</h1>"})],
        ),
        code("b.charts()", outputs=[out("execute_result", data={"text/html": svg})]),
        code(
            "b.all_targets()",
            outputs=[
                out("stream", name="stderr", text="warning"),
                out(
                    "display_data",
                    data={
                        "text/html": "<details><summary>全部目标</summary><table><tr>"
                        "<td>1,234</td><td>80%</td></tr></table></details>",
                        "text/plain": "<table>",
                    },
                ),
            ],
        ),
        nbformat.v4.new_markdown_cell("**时间过半任务过半**：按月份比例判断。"),
    ]
    return nb


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_page_is_nbconverts_html_exporter_page(lang):
    """The briefing's exporter skips HTMLExporter's BeautifulSoup pass and nothing else: parsed
    and written by BeautifulSoup, our page is byte for byte what HTMLExporter gives."""
    import copy

    from bs4 import BeautifulSoup
    from nbconvert import HTMLExporter

    from ontrack.render.export import EXPORTER_SETTINGS, export_html, page_resources

    nb = _briefing_like_notebook()
    ours = export_html(copy.deepcopy(nb), lang=lang, title="平阳县 简报")
    theirs_exporter = HTMLExporter(**EXPORTER_SETTINGS)  # the same settings, nbconvert's class
    theirs_exporter.language_code = lang
    resources = page_resources(lang, "平阳县 简报")
    theirs, _ = theirs_exporter.from_notebook_node(_prune(nb, lang), resources=resources)
    assert str(BeautifulSoup(ours, features="html.parser")) == theirs
    assert "新增孵化空间" in ours and "全部目标" in ours and "warning" not in ours
    # a heading's text as characters, not references (nbconvert writes &#30446;&#26631;...)
    assert re.search(r"<h2[^>]*>目标进展<a", ours) and "&#" not in ours


@pytest.mark.parametrize(
    ("ref", "text"),
    [("&#30446;", "目"), ("&#x76EE;", "目"), ("&#182;", "¶"), ("&#60;", "&#60;"),
     ("&#38;", "&#38;"), ("&#xD800;", "&#xD800;"), ("&#1114112;", "&#1114112;")],
)  # fmt: skip
def test_references_to_characters_outside_ascii_become_the_characters(ref, text):
    from ontrack.render.export import _NCR, _literal

    assert _NCR.sub(_literal, f"a{ref}b") == f"a{text}b"
