"""Plan folders as data (ontrack.plans.folder): plan.yml and regions.csv, checked.

Each test writes a small plan folder under tmp_path (a county 示范县 with two townships) and breaks
one thing; the error must name the file, the key or the row and column, and say what is expected.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ontrack.errors import InputError, InputErrors
from ontrack.plans import read_plan_targets
from ontrack.plans.folder import load_registry, read_plan

DEMO = "demo-2025-2027"
PLAN_YML = f"""\
id: {DEMO}
name_zh: 示范县大孵化器集群建设三年行动计划
region_id: demo
years: [2025, 2027]
"""
REGIONS = """\
region_id,name_zh,parent_id,short_zh,aliases
demo,示范县,,示范,全县
demo-east,东镇,demo,东,东街道
demo-west,西镇,demo,西,
"""
TARGETS = """\
region_id,indicator_id,year_start,year_end,level,value,unit,source,quote
demo,space,2025,2025,baseline,5,万平方米,示范县文件,新增孵化空间5万平方米
demo-east,space,2025,2025,baseline,2,万平方米,示范县文件,东镇2万平方米
demo-west,space,2025,2025,baseline,3,万平方米,示范县文件,西镇3万平方米
"""


def plan_folder(
    raw: Path,
    plan_yml: str = PLAN_YML,
    regions: str | None = REGIONS,
    targets: str | None = TARGETS,
    name: str = DEMO,
) -> Path:
    folder = raw / "plans" / name
    folder.mkdir(parents=True)
    (folder / "plan.yml").write_text(plan_yml, encoding="utf-8")
    if regions is not None:
        (folder / "regions.csv").write_text(regions, encoding="utf-8")
    if targets is not None:
        (folder / "targets.csv").write_text(targets, encoding="utf-8")
    return folder


def error_of(folder: Path) -> InputError | InputErrors:
    with pytest.raises((InputError, InputErrors)) as exc:
        read_plan(folder)
    return exc.value


# --- a good folder --------------------------------------------------------------------------


def test_a_good_folder_gives_the_plan_and_its_regions(tmp_path):
    plan_folder(tmp_path)
    reg = load_registry(tmp_path)
    plan = reg.plans[DEMO]
    assert plan.region_id == "demo" and plan.years == (2025, 2026, 2027)
    assert plan.regions == ("demo", "demo-east", "demo-west")
    assert reg.parent("demo-east") == "demo" and reg.parent("demo") is None
    assert reg.children("demo") == ["demo-east", "demo-west"]
    # names, short names and aliases as the plan's regions.csv writes them
    assert reg.match_region("东镇") == reg.match_region("东街道") == "demo-east"
    assert reg.match_region("全县") == "demo"
    # 5 = 2 + 3: the targets sheet is read through the same route as every plan
    rows = read_plan_targets(plan, reg).rows
    assert rows.set_index("region_id").value.to_dict() == {
        "demo": 5,
        "demo-east": 2,
        "demo-west": 3,
    }


def test_an_indicator_declared_in_indicators_csv_is_usable(tmp_path):
    (tmp_path / "indicators.csv").write_text(
        "indicator_id,name_zh,unit,nature\nlabs,新建实验室,个,small_count\n", encoding="utf-8"
    )
    plan_folder(tmp_path, targets=TARGETS.replace("space", "labs").replace("万平方米", "个"))
    reg = load_registry(tmp_path)
    assert reg.unit("labs") == "个" and reg.nature("labs") == "small_count"
    assert set(read_plan_targets(reg.plans[DEMO], reg).rows.indicator_id) == {"labs"}


# --- plan.yml -------------------------------------------------------------------------------


def test_plan_yml_missing(tmp_path):
    folder = plan_folder(tmp_path)
    (folder / "plan.yml").unlink()
    err = error_of(folder)
    assert isinstance(err, InputError)
    assert err.where == str(folder) and "without plan.yml" in err.problem


def test_plan_yml_missing_keys_are_all_named(tmp_path):
    folder = plan_folder(tmp_path, f"id: {DEMO}\nyears: [2025, 2027]\n")
    err = error_of(folder)
    assert isinstance(err, InputErrors)
    wheres = [e.where for e in err.errors]
    yml = str(folder / "plan.yml")
    assert wheres == [f"{yml} key 'name_zh'", f"{yml} key 'region_id'"]
    assert all(e.problem == "missing or empty" for e in err.errors)


def test_plan_yml_unknown_key_suggests_the_right_one(tmp_path):
    folder = plan_folder(tmp_path, PLAN_YML + "sorce_url: http://x\n")
    err = error_of(folder)
    assert err.where == f"{folder / 'plan.yml'} key 'sorce_url'"
    assert "unknown key" in err.problem and "did you mean 'source_url'?" in err.problem


def test_plan_yml_id_must_be_the_folder_name(tmp_path):
    folder = plan_folder(tmp_path, PLAN_YML, name="demo-plan")
    err = error_of(folder)
    assert err.where == f"{folder / 'plan.yml'} key 'id'"
    assert f"{DEMO!r} differs from the folder name 'demo-plan'" in err.problem


@pytest.mark.parametrize(
    "years",
    ["[2027, 2025]", "2025-2027", "[2025]", "[1990, 2027]", "[2025, 2027, 2029]", "[2025, x]"],
)
def test_plan_yml_bad_years(tmp_path, years):
    folder = plan_folder(tmp_path, PLAN_YML.replace("[2025, 2027]", years))
    err = error_of(folder)
    assert err.where == f"{folder / 'plan.yml'} key 'years'"
    assert "is not [first, last]" in err.problem and "[2025, 2027]" in err.expected


def test_plan_yml_bad_date_and_bad_yaml(tmp_path):
    folder = plan_folder(tmp_path, PLAN_YML + "issued: June 2025\n")
    err = error_of(folder)
    assert err.where.endswith("plan.yml key 'issued'") and "YYYY-MM-DD" in err.expected
    (folder / "plan.yml").write_text("id: [unclosed\n", encoding="utf-8")
    err = error_of(folder)
    assert "plan.yml line" in err.where and "not valid YAML" in err.problem


def test_plan_yml_document_must_be_in_the_folder(tmp_path):
    folder = plan_folder(tmp_path, PLAN_YML + "document: plan.txt\n")
    err = error_of(folder)
    assert err.where.endswith("plan.yml key 'document'")
    assert "plan.txt is not in the plan folder" in err.problem


def test_unknown_reader_suggests_a_built_in_one(tmp_path):
    folder = plan_folder(
        tmp_path, PLAN_YML + "document: plan.txt\nreader: pingyang-2025-2072\n", targets=None
    )
    (folder / "plan.txt").write_text("…", encoding="utf-8")
    reg = load_registry(tmp_path)
    with pytest.raises(InputError) as exc:
        read_plan_targets(reg.plans[DEMO], reg)
    assert exc.value.where.endswith("plan.yml key 'reader'")
    assert "did you mean 'pingyang-2025-2027'?" in exc.value.problem


def test_reader_options_are_checked(example_project):
    reg = example_project.registry()
    lu = reg.plans["lucheng-2025-2027"]
    with pytest.raises(InputError) as exc:
        read_plan_targets(lu, reg, {"splt": "even"})
    assert "reader_options" in exc.value.where and "splt" in exc.value.problem
    assert "split" in exc.value.expected
    with pytest.raises(InputError, match="'linear'"):
        read_plan_targets(lu, reg, {"split": "linear"})


def test_a_sheet_beside_a_document_reader_is_refused(example_project):
    city = example_project.plans_dir / "wenzhou-2025-2027" / "targets.csv"
    (example_project.plans_dir / "pingyang-2025-2027" / "targets.csv").write_bytes(
        city.read_bytes()
    )
    reg = example_project.registry()
    with pytest.raises(InputError, match=r"already read from pingyang-2025-2027\.txt"):
        read_plan_targets(reg.plans["pingyang-2025-2027"], reg)


def test_a_plan_without_targets(tmp_path):
    plan_folder(tmp_path, targets=None)
    reg = load_registry(tmp_path)
    with pytest.raises(InputError, match=f"plan {DEMO} has no targets"):
        read_plan_targets(reg.plans[DEMO], reg)


def test_a_flat_targets_sheet_says_where_it_belongs(tmp_path):
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "longwan-2025-2027.targets.csv").write_text(TARGETS, encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_registry(tmp_path)
    assert exc.value.where.endswith("longwan-2025-2027.targets.csv")
    assert "data/raw/plans/<plan_id>/" in exc.value.expected


# --- regions.csv ----------------------------------------------------------------------------


def test_regions_csv_missing(tmp_path):
    folder = plan_folder(tmp_path, regions=None)
    err = error_of(folder)
    assert err.where == str(folder) and "without regions.csv" in err.problem


def test_regions_unknown_parent(tmp_path):
    # row 4 (the header is row 1): 西镇's parent is a typo of demo
    folder = plan_folder(tmp_path, regions=REGIONS.replace("西镇,demo,", "西镇,dmeo,"))
    err = error_of(folder)
    assert err.where == f"{folder / 'regions.csv'} row 4 column parent_id"
    assert "'dmeo' is not a region of this file" in err.problem


def test_regions_duplicate_id(tmp_path):
    folder = plan_folder(tmp_path, regions=REGIONS + "demo-east,东城镇,demo,,\n")
    err = error_of(folder)
    assert err.where == f"{folder / 'regions.csv'} row 5 column region_id"
    assert "'demo-east' is already in row 3" in err.problem


def test_regions_without_the_plans_own_region(tmp_path):
    # plan.yml says region_id demo; regions.csv declares only the two townships (their parent
    # demo is then unknown too: every problem is reported)
    townships = REGIONS.replace("demo,示范县,,示范,全县\n", "")
    assert townships.count("\n") == 3  # header and two townships
    folder = plan_folder(tmp_path, regions=townships)
    err = error_of(folder)
    assert isinstance(err, InputErrors)
    own = [e for e in err.errors if "own region" in e.problem]
    assert len(own) == 1 and own[0].where == str(folder / "regions.csv")
    assert "'demo' (plan.yml region_id) is not declared" in own[0].problem


def test_regions_cycle(tmp_path):
    regions = REGIONS + "demo-a,甲村,demo-b,,\ndemo-b,乙村,demo-a,,\n"
    folder = plan_folder(tmp_path, regions=regions)
    err = error_of(folder)
    assert err.where == str(folder / "regions.csv")
    assert "parent_id forms a cycle: demo-a → demo-b → demo-a" in err.problem


def test_regions_bad_id_and_columns(tmp_path):
    folder = plan_folder(tmp_path, regions=REGIONS + "东 村,东村,demo,,\n")
    err = error_of(folder)
    assert err.where == f"{folder / 'regions.csv'} row 5 column region_id"
    assert "'东 村' is not an id" in err.problem
    (folder / "regions.csv").write_text(REGIONS.replace("parent_id", "parent"), encoding="utf-8")
    err = error_of(folder)
    assert err.where.endswith("regions.csv header")
    assert "missing column(s) parent_id" in err.problem and "unknown column(s) parent" in (
        err.problem
    )


def test_two_plans_naming_one_region_differently(tmp_path):
    plan_folder(tmp_path)
    city = PLAN_YML.replace(DEMO, "city-2025-2027").replace("region_id: demo", "region_id: city")
    plan_folder(
        tmp_path,
        city,
        "region_id,name_zh,parent_id\ncity,示范市,\ndemo,示范区,city\n",
        name="city-2025-2027",
    )
    with pytest.raises(InputError) as exc:
        load_registry(tmp_path)
    assert "'demo' is named '示范县' here and '示范区'" in exc.value.problem or (
        "'demo' is named '示范区' here and '示范县'" in exc.value.problem
    )


def test_every_broken_plan_is_reported_at_once(tmp_path):
    plan_folder(tmp_path, PLAN_YML.replace("[2025, 2027]", "[2027, 2025]"))
    other = PLAN_YML.replace(DEMO, "other-2025-2027")
    plan_folder(tmp_path, other, REGIONS.replace("西镇,demo,", "西镇,x,"), name="other-2025-2027")
    with pytest.raises(InputErrors) as exc:
        load_registry(tmp_path)
    wheres = sorted(e.where for e in exc.value.errors)
    assert wheres[0].endswith(f"{DEMO}/plan.yml key 'years'")
    assert wheres[1].endswith("other-2025-2027/regions.csv row 4 column parent_id")
