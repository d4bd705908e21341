"""Export helpers: offline check, pruning of what a reader must not see, browser discovery."""

from __future__ import annotations

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
