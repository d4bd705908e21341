"""A CJK font is found and used by matplotlib without warnings (no empty boxes)."""

from __future__ import annotations

import io
import warnings

import pytest

from ontrack.fonts import find_cjk_font, use_cjk_font


def test_finds_fonts_by_file_name_in_given_folders(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "msyh.ttc").write_bytes(b"")
    assert find_cjk_font([tmp_path]) == ("Microsoft YaHei", tmp_path / "sub" / "msyh.ttc")


def test_prefers_simplified_chinese_faces(tmp_path):
    (tmp_path / "simhei.ttf").write_bytes(b"")
    (tmp_path / "NotoSansCJK-Regular.ttc").write_bytes(b"")
    assert find_cjk_font([tmp_path])[0] == "Noto Sans CJK SC"


def test_none_when_no_font(tmp_path):
    assert find_cjk_font([tmp_path]) is None


def test_chinese_text_draws_without_warnings():
    if find_cjk_font() is None:
        pytest.skip("no CJK font installed (CI installs fonts-noto-cjk)")
    from matplotlib.figure import Figure

    family = use_cjk_font()
    assert "SC" in family or family in ("Microsoft YaHei", "SimHei", "PingFang SC")
    fig = Figure()
    ax = fig.add_subplot()
    ax.set_title("新增孵化空间面积（万平方米）")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph warns: fail
        fig.savefig(io.BytesIO(), format="png")


def test_noto_cjk_collection_uses_the_simplified_chinese_face():
    # NotoSansCJK-Regular.ttc holds JP, KR, SC, TC and HK faces; JP comes first in the file, and
    # its glyph for 直 differs from the simplified-Chinese one. The chosen family must be SC.
    found = find_cjk_font()
    if found is None or "NotoSansCJK" not in found[1].name:
        pytest.skip("Noto Sans CJK not installed (CI installs fonts-noto-cjk)")
    from ontrack.fonts import cjk_family

    assert cjk_family() == "Noto Sans CJK SC"


def test_the_theme_is_seaborns_whitegrid_without_importing_seaborn():
    """ontrack.theme against seaborn itself: from matplotlib's defaults, apply_theme and
    seaborn.set_theme(style="whitegrid", font=...) leave the same settings (all but
    image.cmap, a colormap only an imported seaborn has); and use_cjk_font leaves seaborn
    unimported (a fresh interpreter)."""
    import subprocess
    import sys

    import matplotlib
    import seaborn as sns

    if find_cjk_font() is None:
        pytest.skip("no CJK font installed (CI installs fonts-noto-cjk)")

    from ontrack.theme import apply_theme

    saved = dict(matplotlib.rcParams)
    try:
        matplotlib.rcdefaults()
        apply_theme("Noto Sans CJK SC")
        ours = dict(matplotlib.rcParams)
        matplotlib.rcdefaults()
        sns.set_theme(style="whitegrid", font="Noto Sans CJK SC")
        theirs = dict(matplotlib.rcParams)
    finally:
        dict.update(matplotlib.rcParams, saved)
    assert theirs["image.cmap"] == "rocket" and ours["image.cmap"] == "viridis"
    differ = {k for k in theirs if k != "image.cmap" and ours.get(k) != theirs[k]}
    assert not differ, {k: (ours.get(k), theirs[k]) for k in differ}
    code = (
        "import sys, matplotlib; matplotlib.use('agg')\n"
        "from ontrack.fonts import use_cjk_font\n"
        "use_cjk_font()\n"
        "print(sorted(m for m in ('seaborn', 'scipy.stats') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
