"""Hand-filled targets sheets: data/raw/plans/<plan_id>/targets.csv or targets.xlsx.

Every row is checked against its plan folder (the regions of its regions.csv, the years of its
plan.yml) and the indicators (their units); each problem names the file, the row (the header is
row 1) and the column, and all bad rows are reported together.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ontrack.errors import InputError, InputErrors
from ontrack.plans import read_plan_targets
from ontrack.plans.folder import load_registry
from ontrack.plans.sheet import read_sheet

ROOT = Path(__file__).resolve().parents[1]
CITY = ROOT / "data" / "raw" / "plans" / "wenzhou-2025-2027" / "targets.csv"
URL = "https://www.wenzhou.gov.cn/art/2025/5/21/art_1229117802_2039203.html"
DEMO = "demo-2025-2027"

HEADER = "region_id,indicator_id,year_start,year_end,level,value,unit,source,quote,address"
GOOD = "demo-town,space,2025,2025,baseline,3.5,万平方米,文件,新增3.5万平方米,http://x"
# GOOD's row for 2026 (another key), so that a bad row can follow a good one
GOOD26 = GOOD.replace("2025,2025", "2026,2026")


def plan_folder(raw: Path) -> Path:
    """A plan folder demo-2025-2027 (示范县, years 2025–2027, one township 示范镇) under
    ``raw/plans``; its targets sheet is written by the test."""
    folder = raw / "plans" / DEMO
    folder.mkdir(parents=True)
    (folder / "plan.yml").write_text(
        f"id: {DEMO}\nname_zh: 示范县行动计划\nregion_id: demo\nyears: [2025, 2027]\n"
        "source_url: http://demo.example/plan\n",
        encoding="utf-8",
    )
    (folder / "regions.csv").write_text(
        "region_id,name_zh,parent_id\ndemo,示范县,\ndemo-town,示范镇,demo\n", encoding="utf-8"
    )
    return folder


@pytest.fixture
def demo(tmp_path):
    """(folder, plan, registry) of the demo plan."""
    folder = plan_folder(tmp_path / "raw")
    reg = load_registry(tmp_path / "raw")
    return folder, reg.plans[DEMO], reg


def write(folder: Path, *lines: str, bom: bool = True) -> Path:
    p = folder / "targets.csv"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8-sig" if bom else "utf-8")
    return p


def read(demo, *lines: str, bom: bool = True):
    folder, plan, reg = demo
    return read_sheet(write(folder, *lines, bom=bom), plan, reg)


# --- the city plan's sheet ------------------------------------------------------------------


def test_city_sheet_holds_every_fact(example_registry):
    # /work/shared/reference/facts.md, city plan 温政办〔2025〕30号
    plan = example_registry.plans["wenzhou-2025-2027"]
    s = read_sheet(CITY, plan, example_registry)
    r = s.rows
    assert s.plan_id == "wenzhou-2025-2027"
    assert set(r.region_id) == {"wenzhou"}
    assert set(r.plan_id) == {"wenzhou-2025-2027"}  # implied by the folder

    def v(ind, y0, y1):
        hit = r[(r.indicator_id == ind) & (r.year_start == y0) & (r.year_end == y1)]
        assert len(hit) == 1
        return hit.iloc[0]

    # 未来三年分别新增孵化空间300万、400万、500万平方米; 新增空间1200万平方米 (= 300+400+500)
    assert [v("space", y, y).value for y in (2025, 2026, 2027)] == [300, 400, 500]
    assert v("space", 2025, 2027).value == 1200
    # 每年…优化提升10个和新建成10个 → 20 a year
    assert [v("incubators_20", y, y).value for y in (2025, 2026, 2027)] == [20, 20, 20]
    assert v("incubators_large", 2025, 2027).value == 150
    assert v("incubators_large", 2025, 2027).measure == "stock"
    assert v("incubators_300jobs", 2025, 2027).value == 200
    assert v("jobs", 2025, 2027).value == 100000  # 10万人
    assert len(r) == 10
    assert (r.address == URL).all()
    assert r.source.str.contains("温政办〔2025〕30号").all()
    assert (r.quote.str.len() > 0).all()


def test_city_sheet_is_utf8_with_bom():
    assert CITY.read_bytes()[:3] == b"\xef\xbb\xbf"


# --- a good sheet ---------------------------------------------------------------------------


def test_good_sheet_with_and_without_bom(demo):
    for bom in (True, False):
        s = read(demo, HEADER, GOOD, bom=bom)
        assert s.rows.value.tolist() == [3.5]
        assert s.rows.plan_id.tolist() == [DEMO]
        # measure absent → flow (documented default); assumed absent → False
        assert s.rows.measure.tolist() == ["flow"]
        assert s.rows.assumed.tolist() == [False]
        assert s.rows.region_id.tolist() == ["demo-town"]
        assert s.rows.address.tolist() == ["http://x"]


def test_optional_columns(demo):
    line = GOOD.replace("space,2025,2025", "firms,2025,2027").replace("万平方米", "个")
    s = read(demo, "plan_id," + HEADER + ",measure,assumed", f"{DEMO},{line},stock,true")
    assert s.rows.measure.tolist() == ["stock"]
    assert s.rows.assumed.tolist() == [True]


def test_address_defaults_to_the_plans_source_url(demo):
    s = read(demo, HEADER.removesuffix(",address"), GOOD.removesuffix(",http://x"))
    assert s.rows.address.tolist() == ["http://demo.example/plan"]  # plan.yml source_url


def test_a_convertible_unit_is_converted(demo):
    # 250000 平方米 = 250000 / 10000 = 25 万平方米 (the canonical unit of space)
    line = GOOD.replace(",3.5,万平方米,", ",250000,平方米,")
    s = read(demo, HEADER, line)
    assert s.rows.value.tolist() == [25]
    assert s.rows.unit.tolist() == ["万平方米"]
    assert s.values.unit_written.tolist() == ["平方米"]  # as written, for the quality report


# --- bad rows -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        (GOOD.replace(",3.5,", ",abc,"), ["column value", "'abc' is not a number"]),
        (GOOD.replace(",3.5,", ",-1,"), ["column value", "'-1'"]),
        (GOOD.replace(",baseline,", ",high,"), ["column level", "'high'"]),
        (GOOD.replace("2025,2025", "2026,2025"), ["column year_end", "before year_start"]),
        (GOOD.replace("2025,2025", "25,2025"), ["column year_start", "'25' is not a year"]),
        # a year outside the plan's years 2025–2027 (plan.yml)
        (GOOD.replace("2025,2025", "2025,2028"), ["column year_end", "2028 is outside", "2025"]),
        (GOOD.replace("2025,2025", "2024,2025"), ["column year_start", "2024 is outside"]),
        # space is counted in 万平方米: 个 does not fit
        (GOOD.replace(",万平方米,", ",个,"), ["column unit", "'个'", "万平方米"]),
        (GOOD.replace(",新增3.5万平方米,", ",,"), ["column quote", "empty"]),
        # a region not in the plan's regions.csv (an id written as a name, another county)
        (GOOD.replace("demo-town", "Demo Town"), ["column region_id", "'Demo Town'", "regions"]),
        (GOOD.replace("demo-town", "longwan"), ["column region_id", "'longwan'", "regions.csv"]),
        # an unknown indicator, with the closest ids offered
        (GOOD.replace(",space,", ",spaec,"), ["column indicator_id", "'spaec'", "space"]),
        (GOOD + ",extra", ["more cells than columns"]),
    ],
)
def test_bad_row_names_file_row_and_column(demo, bad, words):
    with pytest.raises(InputError) as exc:
        read(demo, HEADER, GOOD26, bad)
    msg = str(exc.value)
    assert f"{DEMO}/targets.csv row 3" in msg  # the header is row 1
    for w in words:
        assert w in msg, f"{w!r} not in {msg!r}"


def test_plan_id_column_must_name_the_folders_plan(demo):
    with pytest.raises(InputError) as exc:
        read(demo, "plan_id," + HEADER, f"other-plan,{GOOD}")
    assert "row 2" in str(exc.value) and "column plan_id: 'other-plan'" in str(exc.value)


def test_several_bad_rows_are_reported_together(demo):
    with pytest.raises(InputErrors) as exc:
        read(
            demo,
            HEADER,
            GOOD.replace(",3.5,", ",x,"),  # row 2: value
            GOOD.replace("2025,2025", "2026,").replace(",space,", ",spice,"),  # row 3: two
            GOOD.replace("demo-town", "elsewhere").replace("2025,2025", "2027,2027"),  # row 4
        )
    errors = exc.value.errors
    assert [e.where.rsplit("/", 1)[-1] for e in errors] == [
        "targets.csv row 2",
        "targets.csv row 3",
        "targets.csv row 3",
        "targets.csv row 4",
    ]
    assert all(e.where.endswith(f"{DEMO}/targets.csv row {e.where[-1]}") for e in errors)
    problems = [e.problem.split(":")[0] for e in errors]
    assert problems == [
        "column value",
        "column year_end",  # empty
        "column indicator_id",  # spice
        "column region_id",
    ]
    assert "4 error(s)" in str(exc.value)


def test_duplicate_key(demo):
    # rows 2 and 3: same region, indicator, years and level (the values differ: 3.5 and 4)
    with pytest.raises(InputError) as exc:
        read(demo, HEADER, GOOD, GOOD.replace(",3.5,", ",4,"))
    assert "row 3" in exc.value.where
    assert "same target as row 2" in exc.value.problem


def test_missing_and_unknown_columns(demo):
    with pytest.raises(InputError, match=r"header.*missing columns \['quote'\]"):
        read(demo, HEADER.replace(",quote", ""), GOOD.replace(",新增3.5万平方米", ""))
    with pytest.raises(InputError, match=r"unknown columns \['vaule'\]"):
        read(demo, HEADER + ",vaule", GOOD + ",1")


def test_empty_and_missing_sheet(demo):
    with pytest.raises(InputError, match="no target rows"):
        read(demo, HEADER)
    folder, plan, reg = demo
    with pytest.raises(InputError, match="targets sheet not found"):
        read_sheet(folder / "nothing.csv", plan, reg)


def test_not_utf8(demo):
    folder, plan, reg = demo
    p = folder / "targets.csv"
    p.write_bytes((HEADER + "\n" + GOOD + "\n").encode("gb18030"))
    with pytest.raises(InputError, match="not UTF-8"):
        read_sheet(p, plan, reg)


# --- targets.xlsx ---------------------------------------------------------------------------


def _xlsx(path: Path, rows: list[list]) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "targets"
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def test_xlsx_is_read_like_the_csv(demo):
    folder, plan, reg = demo
    header = HEADER.split(",")
    # numbers typed as numbers in Excel: years as integers, values as floats
    cells = [
        ["demo-town", "space", 2025, 2025, "baseline", 3.5, "万平方米", "文件", "新增3.5万平方米", "http://x"],
        # 123456.5 keeps every digit (not rounded to 6 significant digits)
        ["demo", "firms", 2025, 2027, "baseline", 123456.5, "个", "文件", "在孵企业", "http://x"],
    ]  # fmt: skip
    from_xlsx = read_sheet(_xlsx(folder / "targets.xlsx", [header, *cells]), plan, reg).rows
    csv_lines = [",".join(str(c) for c in row) for row in cells]
    from_csv = read(demo, HEADER, *csv_lines).rows
    assert from_xlsx.value.tolist() == [3.5, 123456.5]
    assert from_xlsx.drop(columns="document").equals(from_csv.drop(columns="document"))
    assert from_xlsx.document.tolist() == [f"{DEMO}/targets.xlsx"] * 2


def test_xlsx_errors_name_file_row_and_column(demo):
    folder, plan, reg = demo
    rows = [HEADER.split(","), GOOD.split(","), GOOD26.replace("demo-town", "nowhere").split(",")]
    with pytest.raises(InputError) as exc:
        read_sheet(_xlsx(folder / "targets.xlsx", rows), plan, reg)
    assert exc.value.where.endswith(f"{DEMO}/targets.xlsx row 3")
    assert "column region_id: 'nowhere'" in exc.value.problem


def test_a_plan_folder_reads_its_xlsx(demo):
    folder, plan, reg = demo
    _xlsx(folder / "targets.xlsx", [HEADER.split(","), GOOD.split(",")])
    assert read_plan_targets(plan, reg).rows.value.tolist() == [3.5]
    write(folder, HEADER, GOOD)  # and a targets.csv beside it: which one?
    with pytest.raises(InputError, match=r"both targets\.csv and targets\.xlsx"):
        read_plan_targets(plan, reg)
