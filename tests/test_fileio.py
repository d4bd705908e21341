"""ontrack.fileio: atomic outputs that keep the previous file on failure and respect the umask."""

from __future__ import annotations

import os
import stat

import pytest

from ontrack import fileio


def test_outputs_respect_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        p = fileio.write_text(tmp_path / "a.txt", "x")
        # 0666 & ~0022 = 0644: readable by others, as any file the user writes
        assert stat.S_IMODE(p.stat().st_mode) == 0o644
        os.umask(0o077)
        q = fileio.write_text(tmp_path / "b.txt", "x")
        assert stat.S_IMODE(q.stat().st_mode) == 0o600
    finally:
        os.umask(old)


def test_a_failed_write_keeps_the_previous_file_and_leaves_no_temporary(tmp_path):
    p = fileio.write_text(tmp_path / "report.html", "good")
    with pytest.raises(RuntimeError), fileio.atomic_path(p) as tmp:
        tmp.write_text("half", encoding="utf-8")
        raise RuntimeError("render failed")
    assert p.read_text(encoding="utf-8") == "good"
    assert [f.name for f in tmp_path.iterdir()] == ["report.html"]


def test_csv_for_excel_users_has_a_bom(tmp_path):
    import pandas as pd

    p = fileio.write_csv(pd.DataFrame({"地区": ["平阳县"]}), tmp_path / "t.csv")
    assert p.read_bytes().startswith(b"\xef\xbb\xbf")
