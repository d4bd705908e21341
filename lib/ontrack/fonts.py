"""A CJK font for matplotlib, so that Chinese chart labels are drawn (not empty boxes).

matplotlib's font cache can predate the font install, so the file is registered with
``fontManager.addfont`` rather than looked up by name; :func:`use_cjk_font` sets the charts'
theme (:mod:`.theme`, seaborn's whitegrid) with that family.
"""

from __future__ import annotations

import glob
import os
import sys
from pathlib import Path

from .errors import OntrackError

#: Family names in order of preference (simplified-Chinese faces first).
FAMILIES: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Noto Sans SC",
    "WenQuanYi Zen Hei",
)

#: File name patterns (glob) for each family, searched in :func:`font_dirs`.
_FILES: dict[str, tuple[str, ...]] = {
    "Noto Sans CJK SC": (
        "NotoSansCJK-Regular.ttc",
        "NotoSansCJKsc-Regular.otf",
        "NotoSansCJK*.ttc",
    ),
    "Source Han Sans SC": ("SourceHanSansSC-Regular.otf", "SourceHanSans-Regular.ttc"),
    "Microsoft YaHei": ("msyh.ttc", "msyh.ttf"),
    "SimHei": ("simhei.ttf", "SimHei.ttf"),
    "PingFang SC": ("PingFang.ttc",),
    "Noto Sans SC": ("NotoSansSC-Regular.otf", "NotoSansSC*.ttf"),
    "WenQuanYi Zen Hei": ("wqy-zenhei.ttc",),
}


def font_dirs() -> list[Path]:
    """The usual font folders of Linux, Windows and macOS (existing ones only)."""
    home = Path.home()
    dirs = [
        Path("/usr/share/fonts"),
        Path("/usr/local/share/fonts"),
        home / ".local/share/fonts",
        home / ".fonts",
        Path(os.environ.get("WINDIR", r"C:\Windows")) / "Fonts",
        home / "AppData/Local/Microsoft/Windows/Fonts",
        Path("/System/Library/Fonts"),
        Path("/System/Library/AssetsV2"),
        Path("/Library/Fonts"),
        home / "Library/Fonts",
    ]
    if sys.prefix:
        dirs.append(Path(sys.prefix) / "share/fonts")
    return [d for d in dirs if d.is_dir()]


def find_cjk_font(dirs: list[Path] | None = None) -> tuple[str, Path] | None:
    """(family, file) of the first preferred CJK font found, or None."""
    dirs = font_dirs() if dirs is None else dirs
    for family in FAMILIES:
        for pattern in _FILES[family]:
            for d in dirs:
                hits = sorted(glob.glob(str(d / "**" / pattern), recursive=True))
                if hits:
                    return family, Path(hits[0])
    return None


def cjk_family() -> str:
    """Register the preferred CJK font with matplotlib and return its family name.

    With a .ttc holding several faces (Noto Sans CJK), the simplified-Chinese face is chosen so
    charts use simplified glyph shapes. Raises OntrackError naming the package to install when no
    CJK font is found.
    """
    found = find_cjk_font()
    if found is None:
        raise OntrackError(
            "no Chinese font found for the charts: install fonts-noto-cjk (Debian/Ubuntu: "
            "apt-get install fonts-noto-cjk) or Noto Sans CJK SC / Source Han Sans SC"
        )
    family, path = found
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(path))
    # Older matplotlib registers only the first face of a .ttc (e.g. "... CJK JP"): use its name.
    names = {f.name for f in font_manager.fontManager.ttflist if Path(f.fname) == path}
    if family not in names and names:
        family = sorted(names, key=lambda n: (" SC" not in n, n))[0]
    return family


def use_cjk_font() -> str:
    """Apply the charts' theme (seaborn's whitegrid, :mod:`.theme`) with the CJK font."""
    import matplotlib

    from .theme import apply_theme

    family = cjk_family()
    apply_theme(family)
    matplotlib.rcParams["axes.unicode_minus"] = False
    matplotlib.rcParams["font.sans-serif"] = [family, "DejaVu Sans"]
    matplotlib.rcParams["font.family"] = "sans-serif"
    return family
