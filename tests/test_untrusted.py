"""The project's own files, exports and commands treated as untrusted input (issue 23): each case
is refused with a message naming the place, flagged where the number is shown, or read right,
and nothing changes that should not."""

from __future__ import annotations

import errno
import os
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from ontrack.cli import main
from ontrack.errors import InputError, InputErrors, OntrackError
from ontrack.fileio import read_csv

TODAY_ARGS: list[str] = []


def _run(project, *args) -> int:
    return main(["--project", str(project.root), *args])


def _no_formula_in_xlsx(path: Path) -> None:
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in z.read(name) and b"<f " not in z.read(name), (path, name)
    wb = load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (path, ws.title, cell.coordinate)


# ------------------------------------------------------------------------- silent wrong numbers
def test_an_alias_that_names_another_indicator_is_refused(example_project, capsys):
    """A project indicator whose aliases are another indicator's words relabelled 181 of 203
    firms rows as patents, exit 0."""
    path = example_project.indicators_csv
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text + "patents,新增发明专利授权,件,count,,发明专利|新增在孵企业|新增孵化空间面积\n",
        encoding="utf-8",
    )
    assert _run(example_project, "targets") == 2
    err = capsys.readouterr().err
    assert "indicator 'patents' column aliases" in err
    assert "'新增在孵企业' names indicator 'firms'" in err
    assert "'新增孵化空间面积' names indicator 'space'" in err
    assert "发明专利'" not in err  # its own words are fine


@pytest.mark.parametrize(
    "cell, why",
    [
        ("0.35³", "a superscript after the number"),  # was read as 0.353
        ("0.353", "not a whole number"),  # firms are counted
        ("12.5", "not a whole number"),
    ],
)
def test_a_count_that_is_not_a_whole_number_is_refused(tmp_path, example_registry, cell, why):
    from ontrack.progress import read_progress

    path = tmp_path / "x.csv"
    path.write_text(f"region,indicator,month,value\n昆阳镇,firms,2026-03,{cell}\n", "utf-8")
    with pytest.raises(InputErrors) as ei:
        read_progress([path], example_registry)
    assert why in str(ei.value) and "x.csv | line 2" in str(ei.value)


def test_people_in_ten_thousands_are_whole(tmp_path, example_registry):
    from ontrack.progress import read_progress

    path = tmp_path / "x.csv"
    path.write_text("region,indicator,month,value\n昆阳镇,talent,2026-03,1.25万人\n", "utf-8")
    df, _ = read_progress([path], example_registry)
    assert df["value"].tolist() == [12500.0]


def test_a_flagged_value_never_reads_as_good_nor_leads_the_headline(example_registry):
    """12500 万平方米 against a target of 3 showed as 416812% and green and led the headline's
    biggest change: the row now shows the flag where the number is, and is not assessed."""
    from ontrack.briefing import narrative, tables

    att = pd.DataFrame(
        [
            dict(plan_id="p", region_id="pingyang-kunyang", indicator_id="space",
                 year_start=2026, year_end=2026, level="baseline", target=3.0,
                 actual_to_date=12504.0, p_meet=1.0, proj_p10=12504.0, proj_p50=12505.0,
                 proj_p90=12506.0, required_per_month=0.0, rag="green", months_left=2.0),
            dict(plan_id="p", region_id="pingyang-kunyang", indicator_id="firms",
                 year_start=2026, year_end=2026, level="baseline", target=40.0,
                 actual_to_date=20.0, p_meet=0.2, proj_p10=25.0, proj_p50=30.0, proj_p90=35.0,
                 required_per_month=10.0, rag="red", months_left=2.0),
        ]
    )  # fmt: skip
    suspect = {("pingyang-kunyang", "space"), ("pingyang", "space")}
    html = str(tables.targets_table(att, "pingyang-kunyang", "2026-10", "zh", None,
                                    example_registry, None, suspect))  # fmt: skip
    space_row = next(r for r in html.split("<tr") if "新增孵化空间面积" in r)
    assert (
        "含待核实数值" in space_row and "416812" not in space_row and "rag-green" not in space_row
    )
    head = narrative.headline(att, "pingyang-kunyang", "2026-10", "zh", example_registry,
                              suspect=suspect)  # fmt: skip
    assert "纳入评估的1项目标" in head and "1项目标的进度含待核实的数值" in head
    assert "风险最大的是“新增在孵企业(项目)”" in head


# ------------------------------------------------------------------------- code from data
def test_exports_and_the_template_never_carry_a_formula(example_project):
    """A region named =HYPERLINK(…) and a quote starting with = were live formulas in the
    template sent to offices and in targets.xlsx; targets.csv kept = + - @ cells."""
    plan = example_project.plans_dir / "wenzhou-2025-2027"
    regions = plan / "regions.csv"
    regions.write_text(
        regions.read_text(encoding="utf-8")
        + 'wenzhou-evil,"=HYPERLINK(""http://x.example"",""点此"")",wenzhou,,\n',
        encoding="utf-8",
    )
    sheet = plan / "targets.csv"
    rows = sheet.read_text(encoding="utf-8-sig").splitlines()
    header, first = rows[0], rows[1].split(",")
    quote_col = header.split(",").index("quote")
    first[quote_col] = "=1+2"
    sheet.write_text("\n".join([header, ",".join(first), *rows[2:]]) + "\n", encoding="utf-8")
    assert _run(example_project, "targets") == 0
    _no_formula_in_xlsx(example_project.processed / "targets.xlsx")
    t = read_csv(example_project.targets_csv, dtype=str, keep_default_na=False)
    texts = t.astype(str).to_numpy().ravel()
    bad = [v for v in texts if str(v).startswith(("=", "+", "@", "\t", "\r"))]
    assert bad == [] and "'=1+2" in set(t["quote"])
    out = example_project.processed / "t.xlsx"
    assert _run(example_project, "template", "--plan", "wenzhou-2025-2027", "--year", "2026",
                "--out", str(out)) == 0  # fmt: skip
    _no_formula_in_xlsx(out)
    ws = load_workbook(out).worksheets[1]
    names = [ws.cell(r, 2).value for r in range(5, ws.max_row + 1)]
    assert '=HYPERLINK("http://x.example","点此")' in names  # shown as the text it is


# ------------------------------------------------------------------------- resources
BOMB = (
    "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
)


def test_a_yaml_alias_bomb_is_refused_at_once(example_project, capsys):
    """405 bytes of aliases in plan.yml took 76 s and 2.3 GB before a MemoryError."""
    yml = example_project.plans_dir / "wenzhou-2025-2027" / "plan.yml"
    yml.write_text(yml.read_text(encoding="utf-8") + BOMB, encoding="utf-8")
    assert _run(example_project, "targets") == 2  # refused at the first alias, never expanded
    err = capsys.readouterr().err
    assert "plan.yml" in err and "an alias (*name) is not allowed" in err


def test_a_scenario_with_an_alias_bomb_is_refused(tmp_path):
    from ontrack.forecast.scenario import load_scenario

    path = tmp_path / "s.yml"
    path.write_text("name: x\ndescription: *h\n" + BOMB, encoding="utf-8")
    with pytest.raises(InputError, match="alias"):
        load_scenario(path)
    path.write_text("name: x\ndescription: " + "长" * 200_000 + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="larger than"):
        load_scenario(path)


def test_jobs_are_capped_by_the_machine():
    from ontrack.render.batch import checked_jobs, job_limit

    limit, why = job_limit()
    assert 1 <= limit <= (os.cpu_count() or 1) and "cores" in why
    lines = []

    class Log:
        def info(self, text):
            lines.append(text)

    assert checked_jobs(500, Log()) == limit
    assert lines and f"--jobs 500 capped to {limit}" in lines[0]
    with pytest.raises(InputError, match="below 1"):
        checked_jobs(0)


# ------------------------------------------------------------------------- escapes
def test_ingest_writes_nothing_into_data_raw(example_project, capsys):
    before = sorted(p.name for p in example_project.progress_dir.rglob("*"))
    out = example_project.progress_dir / "progress.csv"
    assert _run(example_project, "ingest", "--out", str(out)) == 2
    assert "is inside data/raw" in capsys.readouterr().err
    assert sorted(p.name for p in example_project.progress_dir.rglob("*")) == before


def test_a_folder_named_with_dot_dot_lands_in_the_record_under_its_name(example_project, tmp_path):
    """`ontrack ingest SOMEDIR/sub/..` put a report outside the record (ledger ../r.csv)."""
    src = tmp_path / "月报"
    (src / "sub").mkdir(parents=True)
    (src / "r.csv").write_text("region,indicator,month,value\n昆阳镇,firms,2026-10,3\n", "utf-8")
    assert _run(example_project, "ingest", str(src / "sub" / "..")) == 0
    assert (example_project.progress_dir / "月报" / "r.csv").is_file()
    assert not (example_project.raw / "r.csv").exists()
    ledger = read_csv(example_project.progress_dir / ".ingested.csv", dtype=str)
    assert "月报/r.csv" in set(ledger["file"])


def test_a_plan_file_linking_outside_data_raw_is_refused(example_project, tmp_path, capsys):
    secret = tmp_path / "secret.csv"
    secret.write_text("region_id,name_zh,parent_id\nx,外,\n", encoding="utf-8")
    regions = example_project.plans_dir / "wenzhou-2025-2027" / "regions.csv"
    regions.unlink()
    regions.symlink_to(secret)
    assert _run(example_project, "targets") == 2
    err = capsys.readouterr().err
    assert "regions.csv" in err and "a symbolic link pointing outside data/raw" in err


# ------------------------------------------------------------------------- tracebacks
def test_a_workbook_with_a_broken_deflate_stream_is_refused(tmp_path, example_registry):
    from ontrack.progress import read_progress

    good = tmp_path / "g.xlsx"
    wb = Workbook()
    wb.active.append(["乡镇", "新增在孵企业累计完成(个)"])
    wb.active.append(["昆阳镇", 3])
    wb.save(good)
    raw = bytearray(good.read_bytes())
    with zipfile.ZipFile(good) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for k in range(start + 2, start + min(info.compress_size, 40)):
        raw[k] ^= 0xFF  # the compressed bytes, not the zip directory
    bad = tmp_path / "b.xlsx"
    bad.write_bytes(bytes(raw))
    with pytest.raises(InputErrors) as ei:
        read_progress([bad], example_registry)
    assert "b.xlsx" in str(ei.value) and "damaged workbook" in str(ei.value)


def test_a_read_only_processed_folder_is_one_line(example_project, monkeypatch, capsys):
    from ontrack import targets

    def read_only(*a, **k):
        raise OSError(errno.EROFS, "Read-only file system",
                      str(example_project.processed / ".targets.csv.a1b2.tmp"))  # fmt: skip

    monkeypatch.setattr(targets, "write_outputs", read_only)
    assert _run(example_project, "targets") == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err
    assert "无法写入 data/processed/targets.csv：文件系统只读" in err


def test_a_hand_edited_progress_table_names_row_and_column(built_project, tmp_path, capsys):
    shutil.copytree(built_project.root, tmp_path / "p")
    p = tmp_path / "p" / "data" / "processed" / "progress.csv"
    lines = p.read_text(encoding="utf-8-sig").splitlines()
    cells = lines[3].split(",")
    cells[2] = "2026-13"
    lines[3] = ",".join(cells)
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    from ontrack.forecast.store import read_progress_table

    with pytest.raises(OntrackError) as ei:
        read_progress_table(p)
    assert "row 4, column month: '2026-13'" in str(ei.value)
    assert len(str(ei.value).splitlines()) == 2  # the file, then the one row: no table dump


# ------------------------------------------------------------------------- lost or left behind
def test_a_scenario_named_like_a_briefing_variant_is_refused(built_project, capsys):
    for name in ("en.yml", "failed.yml", "a.b.yml"):
        path = built_project.scenarios_dir / name
        path.write_text("name: x\n", encoding="utf-8")
        try:
            rc = main(["--project", str(built_project.root), "render", "--format", "html",
                       "--scenario", str(path)])  # fmt: skip
        finally:
            path.unlink()
        assert rc == 2
        assert "would collide with the briefing's own files" in capsys.readouterr().err


def test_a_killed_ingest_is_rolled_back_by_the_next_one(example_project, tmp_path):
    """SIGKILL during ingest's write step left a .progress.csv.*.tmp and a record ahead of
    progress.csv: the journal says what was being added; what the ledger does not list is
    removed by the next ingest, and the temporary files too."""
    from ontrack.progress.record import JOURNAL

    assert _run(example_project, "ingest") == 0
    table = example_project.progress_csv.read_bytes()
    # the state a kill between the copy and the ledger leaves
    half = example_project.progress_dir / "half.csv"
    half.write_text("region,indicator,month,value\n昆阳镇,firms,2026-10,99\n", "utf-8")
    (example_project.progress_dir / JOURNAL).write_text("half.csv\n", encoding="utf-8")
    stale = example_project.processed / ".progress.csv.k3j9x.tmp"
    stale.write_text("half-written", encoding="utf-8")
    assert _run(example_project, "ingest") == 0
    assert not half.exists() and not stale.exists()
    assert not (example_project.progress_dir / JOURNAL).exists()
    assert example_project.progress_csv.read_bytes() == table


def test_an_ingest_during_a_render_is_refused_and_changes_nothing(example_project, capsys):
    from ontrack.lock import data_lock

    assert _run(example_project, "ingest") == 0
    before = example_project.progress_csv.read_bytes()
    new = example_project.root / "late.csv"
    new.write_text("region,indicator,month,value\n昆阳镇,firms,2026-10,3\n", "utf-8")
    import multiprocessing as mp

    ready, done = mp.Event(), mp.Event()
    holder = mp.Process(target=_hold_lock, args=(str(example_project.root), ready, done))
    holder.start()
    try:
        assert ready.wait(60)
        assert _run(example_project, "ingest", str(new)) == 2
        err = capsys.readouterr().err
        assert "ontrack render" in err and "try again when it has finished" in err
    finally:
        done.set()
        holder.join(60)
    assert example_project.progress_csv.read_bytes() == before
    assert not (example_project.progress_dir / "late.csv").exists()
    with data_lock(example_project, "test"):  # released with its process
        pass


def _hold_lock(root: str, ready, done) -> None:
    from ontrack.lock import data_lock
    from ontrack.project import open_project

    with data_lock(open_project(root), "ontrack render"):
        ready.set()
        done.wait(60)


def test_lab_kernels_never_import_from_the_notebooks_folder(example_project):
    """A pandas.py planted in the project's notebooks/ was imported when the lab's notebooks
    ran (their working folder); an ontrack.py there ran when the Voilà page was opened."""
    import sys

    from jupyter_client.manager import start_new_kernel

    from ontrack.launch import command, environment

    if sys.version_info < (3, 11):
        pytest.skip("PYTHONSAFEPATH needs Python 3.11")
    nb = example_project.notebooks_dir
    nb.mkdir(parents=True, exist_ok=True)
    (nb / "pandas.py").write_text("raise SystemExit('planted pandas imported')\n", "utf-8")
    (nb / "ontrack.py").write_text("raise SystemExit('planted ontrack imported')\n", "utf-8")
    km, kc = start_new_kernel(cwd=str(nb), env=environment(example_project))
    try:
        reply = kc.execute_interactive("import pandas, ontrack", timeout=120)
        assert reply["content"]["status"] == "ok"  # the planted modules raise when imported
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    assert "--token" in command(example_project, app=True)
