"""Hand-filled targets sheets (data/raw/plans/<plan_id>.targets.csv)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ontrack.errors import InputError, InputErrors
from ontrack.plans import read_sheet
from ontrack.plans.sheet import sheet_plan_id

ROOT = Path(__file__).resolve().parents[1]
CITY = ROOT / "data" / "raw" / "plans" / "wenzhou-2025-2027.targets.csv"
URL = "https://www.wenzhou.gov.cn/art/2025/5/21/art_1229117802_2039203.html"

HEADER = "plan_id,region_id,indicator_id,year_start,year_end,level,value,unit,source,quote,address"
GOOD = (
    "demo-2025-2027,demo-town,space,2025,2025,baseline,3.5,万平方米,文件,新增3.5万平方米,http://x"
)


def write(tmp_path: Path, *lines: str, name: str = "demo-2025-2027.targets.csv", bom=True) -> Path:
    p = tmp_path / name
    p.write_text("\n".join(lines) + "\n", encoding="utf-8-sig" if bom else "utf-8")
    return p


def test_city_sheet_holds_every_fact():
    # /work/shared/reference/facts.md, city plan 温政办〔2025〕30号
    s = read_sheet(CITY)
    r = s.rows
    assert s.plan_id == "wenzhou-2025-2027"
    assert set(r.region_id) == {"wenzhou"}

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


def test_good_sheet_with_and_without_bom(tmp_path):
    for bom in (True, False):
        s = read_sheet(write(tmp_path, HEADER, GOOD, bom=bom))
        assert s.rows.value.tolist() == [3.5]
        # measure absent → flow (documented default); assumed absent → False
        assert s.rows.measure.tolist() == ["flow"]
        assert s.rows.assumed.tolist() == [False]
        assert s.rows.region_id.tolist() == ["demo-town"]  # unknown regions are valid


def test_optional_columns(tmp_path):
    line = GOOD.replace("space,2025,2025", "bases,2025,2027").replace("万平方米", "个")
    s = read_sheet(write(tmp_path, HEADER + ",measure,assumed", line + ",stock,true"))
    assert s.rows.measure.tolist() == ["stock"]
    assert s.rows.assumed.tolist() == [True]


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        (GOOD.replace(",3.5,", ",abc,"), ["value 'abc'"]),
        (GOOD.replace(",3.5,", ",-1,"), ["value '-1'"]),
        (GOOD.replace(",baseline,", ",high,"), ["level 'high'"]),
        (GOOD.replace("2025,2025", "2026,2025"), ["before year_start"]),
        (GOOD.replace("2025,2025", "25,2025"), ["year_start '25'"]),
        (GOOD.replace("demo-2025-2027,", "other-plan,"), ["differs from the file name"]),
        (GOOD.replace(",万平方米,", ",平方米,"), ["convert to its unit '万平方米'"]),
        (GOOD.replace(",新增3.5万平方米,", ",,"), ["quote is empty"]),
        (GOOD.replace("demo-town", "Demo Town"), ["region_id 'Demo Town'"]),
        (GOOD + ",extra", ["more cells than columns"]),
    ],
)
def test_bad_row_names_file_and_row(tmp_path, bad, words):
    with pytest.raises(InputError) as exc:
        read_sheet(write(tmp_path, HEADER, GOOD.replace("2025,2025", "2026,2026"), bad))
    msg = str(exc.value)
    assert "demo-2025-2027.targets.csv row 3" in msg  # header is row 1
    for w in words:
        assert w in msg


def test_several_bad_rows_are_reported_together(tmp_path):
    with pytest.raises(InputErrors) as exc:
        read_sheet(
            write(
                tmp_path, HEADER, GOOD.replace(",3.5,", ",x,"), GOOD.replace("2025,2025", "2026,")
            )
        )
    wheres = [e.where for e in exc.value.errors]
    assert wheres == ["demo-2025-2027.targets.csv row 2", "demo-2025-2027.targets.csv row 3"]


def test_duplicate_key(tmp_path):
    with pytest.raises(InputError, match=r"row 3: same key as row 2"):
        read_sheet(write(tmp_path, HEADER, GOOD, GOOD.replace(",3.5,", ",4,")))


def test_missing_and_unknown_columns(tmp_path):
    with pytest.raises(InputError, match=r"header.*missing columns \['address'\]"):
        read_sheet(write(tmp_path, HEADER.replace(",address", ""), GOOD.rsplit(",", 1)[0]))
    with pytest.raises(InputError, match=r"unknown columns \['vaule'\]"):
        read_sheet(write(tmp_path, HEADER + ",vaule", GOOD + ",1"))


def test_empty_sheet_and_bad_name(tmp_path):
    with pytest.raises(InputError, match="no target rows"):
        read_sheet(write(tmp_path, HEADER))
    with pytest.raises(InputError, match=r"<plan_id>\.targets\.csv"):
        sheet_plan_id(tmp_path / "targets.csv")


def test_not_utf8(tmp_path):
    p = tmp_path / "demo-2025-2027.targets.csv"
    p.write_bytes((HEADER + "\n" + GOOD + "\n").encode("gb18030"))
    with pytest.raises(InputError, match="not UTF-8"):
        read_sheet(p)
