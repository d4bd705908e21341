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


def test_a_write_stopped_anywhere_leaves_no_temporary_file(tmp_path, monkeypatch):
    # SIGTERM raises wherever the interpreter is: here just after the temporary file is
    # created, before any content (the moment a killed render-all once left a
    # .manifest.json.….tmp beside the reports). The previous file stays, nothing else.
    from ontrack import fileio

    target = tmp_path / "manifest.json"
    target.write_text("previous", encoding="utf-8")

    def stop(*a, **k):
        raise SystemExit(143)

    monkeypatch.setattr(fileio.os, "chmod", stop)
    with pytest.raises(SystemExit):
        fileio.write_text(target, "new")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.json"]
    assert target.read_text(encoding="utf-8") == "previous"


def test_remove_pending_clears_what_a_stopped_run_was_writing(tmp_path):
    from ontrack import fileio

    with fileio.atomic_path(tmp_path / "a.html") as tmp:
        tmp.write_text("half", encoding="utf-8")
        fileio.remove_pending()  # what stopping a run does, from another frame
        assert not tmp.exists()
        tmp.write_text("written again", encoding="utf-8")  # the block may still finish
    assert (tmp_path / "a.html").read_text(encoding="utf-8") == "written again"
    assert not fileio._PENDING
