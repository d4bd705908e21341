"""The lab's controls (ontrack.lab.widgets) driven in the kernel, without a browser: each control
calls the Lab, errors are said under it, implausible amounts ask again, the override box follows
the selection, and only what changed is redrawn. In a real browser: test_lab_browser.py.

On the small hand-made plan of test_lab.py (平阳县 and two townships, as of 2026-09)."""

from __future__ import annotations

import pytest
from test_lab import AOJIANG, AS_OF, PLAN, XIAOJIANG, _progress, _targets

N = 1_000


@pytest.fixture(scope="module")
def base_lab(tmp_path_factory):
    from conftest import copy_example_project

    from ontrack.lab import Lab

    project = copy_example_project(tmp_path_factory.mktemp("widgets") / "project")
    return Lab(PLAN, "pingyang", AS_OF, n_sims=N, project=project, targets=_targets(),
               progress=_progress())  # fmt: skip


@pytest.fixture
def ui(base_lab):
    from ontrack.lab.widgets import widget

    base_lab.reset()
    base_lab.name = "scenario"
    return widget(base_lab).ui


def test_the_override_box_follows_the_selection(ui):
    lab = ui.lab
    keys = [v for _, v in ui.t_key.options]
    # closed years are not offered: as of 2026-09, 2025 is over
    assert keys and all(k[3] >= 2026 for k in keys)
    county_27 = ("pingyang", "space", 2027, 2027, "baseline")
    xiaojiang_26 = (XIAOJIANG, "firms", 2026, 2026, "baseline")
    ui.t_key.value = county_27
    assert ui.t_value.value == 10  # the plan's 2027 target for the county: 10 万㎡
    assert "万平方米" in ui.t_unit.value and "计划原目标 10万平方米" in ui.t_ref.value
    ui.t_key.value = xiaojiang_26
    assert ui.t_value.value == 30  # not the 10 left in the box
    ui.t_value.value = 33
    ui.t_buttons[0].click()
    assert [o["value"] for o in lab.overrides] == [33]
    ui.t_key.value = county_27
    assert ui.t_value.value == 10
    ui.t_key.value = xiaojiang_26
    assert ui.t_value.value == 33  # the scenario's value
    assert "情景中已改为 33个" in ui.t_ref.value
    ui.t_buttons[1].click()  # restore
    assert lab.overrides == [] and ui.t_value.value == 30


def test_a_bad_amount_is_said_in_red_and_changes_nothing(ui):
    ui.p_region.value, ui.p_ind.value, ui.p_month.value = AOJIANG, "space", "2027-02"
    ui.p_amount.value = -3.0
    ui.p_buttons[0].click()
    assert "otl-msg-error" in ui.p_msg.value and "须为大于0的数" in ui.p_msg.value
    assert "Traceback" not in ui.p_msg.value and ui.lab.pipeline == []


def test_an_implausible_amount_asks_again(ui):
    """鳌江's 2027 space target is 5 万㎡: 25000 asks (㎡ typed into a 万㎡ field?); 确认 keeps
    it, 取消 or changing the amount drops the question."""
    ui.p_region.value, ui.p_ind.value, ui.p_month.value = AOJIANG, "space", "2027-02"
    assert "万平方米" in ui.p_unit.value and "鳌江镇2027年目标 5万平方米" in ui.p_ref.value
    ui.p_amount.value = 25000.0
    ui.p_buttons[0].click()
    assert "otl-msg-ask" in ui.p_msg.value and "应为2.5万平方米" in ui.p_msg.value
    assert ui.p_ask.layout.display == "flex" and ui.lab.pipeline == []
    ui.p_amount.value = 2.5  # corrected: the question goes away
    assert ui.p_ask.layout.display == "none" and ui.p_msg.value == ""
    ui.p_amount.value = 25000.0
    ui.p_buttons[0].click()
    yes = ui.p_ask.children[0]
    yes.click()
    assert [p["amount"] for p in ui.lab.pipeline] == [25000.0]
    assert ui.p_ask.layout.display == "none" and ui.p_list.value == 0


def test_projects_are_added_edited_and_removed(ui):
    lab = ui.lab
    ui.p_region.value, ui.p_ind.value, ui.p_month.value = AOJIANG, "space", "2026-11"
    ui.p_amount.value, ui.p_label.value = 2.0, "A栋"
    ui.p_buttons[0].click()
    assert len(lab.pipeline) == 1 and ui.p_list.options[0][0] == "A栋 · 2026-11 · +2万平方米"
    ui.p_list.value = None
    ui.p_list.value = 0  # selecting fills the fields
    ui.p_month.value = "2027-06"
    ui.p_buttons[1].click()
    assert lab.pipeline[0]["month"] == "2027-06" and lab.pipeline[0]["amount"] == 2.0
    ui.p_list.value = 0
    ui.p_buttons[2].click()
    assert lab.pipeline == [] and ui.p_list.options == ()


def test_the_pace_slider_sets_the_rule_the_selections_name(ui):
    lab = ui.lab
    ui.pace_region.value, ui.pace_ind.value, ui.pace_from.value = XIAOJIANG, "firms", "2026-10"
    ui.pace_slider.value = 1.5
    assert lab.pace == [{"region": XIAOJIANG, "indicator": "firms", "from": "2026-10",
                         "factor": 1.5}]  # fmt: skip
    # another from-month: the slider shows that (absent) rule's factor, 1
    ui.pace_from.value = "2027-01"
    assert ui.pace_slider.value == 1.0 and len(lab.pace) == 1
    ui.pace_slider.value = 0.5  # a second rule: 1.5 from October, 0.5 from January
    assert [p["factor"] for p in lab.pace] == [1.5, 0.5]
    ui.pace_rules.value = 0  # picking a rule shows it
    assert (ui.pace_from.value, ui.pace_slider.value) == ("2026-10", 1.5)
    assert "萧江 · 新增在孵企业(项目) · 自2026-10 ×1.50" in ui.pace_rules.options[0][0]


def test_only_what_changed_is_redrawn(ui, monkeypatch):
    """The chart shows 平阳县 space 2026; a project for 鳌江's firms in 2027 does not reach that
    series: the table is redrawn, the chart is not."""
    draws = []
    real = ui.chart.draw
    monkeypatch.setattr(ui.chart, "draw", lambda d: draws.append(d) or real(d))
    assert (ui.r_region.value, ui.r_ind.value, ui.r_year.value) == ("pingyang", "space", 2026)
    version = ui.lab.version
    ui.p_region.value, ui.p_ind.value, ui.p_month.value = AOJIANG, "firms", "2027-03"
    ui.p_amount.value = 5.0
    ui.p_buttons[0].click()
    assert ui.lab.version == version + 1 and f'data-version="{version + 1}"' in ui.table.value
    assert draws == []
    # a 鳌江 space project in 2026 reaches the county's space: the chart is redrawn, once
    ui.p_ind.value, ui.p_month.value, ui.p_amount.value = "space", "2026-11", 1.0
    ui.p_buttons[0].click()
    assert len(draws) == 1 and draws[0].scen is not None


def test_how_fast_answers_and_applies(ui):
    ui.q_region.value, ui.q_ind.value, ui.q_year.value = XIAOJIANG, "firms", 2026
    ui.q_solve.click()
    # 萧江 firms 2026 is all but certain (see test_lab): no speed-up needed
    assert "无需加快" in ui.q_msg.value and not ui.q_apply.disabled
    ui.q_region.value, ui.q_ind.value, ui.q_year.value = AOJIANG, "firms", 2027
    ui.q_solve.click()
    r = ui._solution
    ui.q_apply.click()
    factor, start = ui.lab.pace_factor(AOJIANG, "firms")
    # applied rounded up to the hundredth (never below the answer), from the solver's month
    assert start == r["from"] and r["factor"] <= factor < r["factor"] + 0.01 + 1e-9


def test_save_refuses_outside_and_shows_the_render_command(ui, tmp_path):
    project = ui.lab.project
    ui.s_name.value = "widget test"
    assert ui.s_path.placeholder == "data/raw/scenarios/widget-test.yml"
    ui.s_path.value = "/nonexistent/dir/x.yml"
    ui.s_button.click()
    assert "otl-msg-error" in ui.s_msg.value and "项目文件夹之外" in ui.s_msg.value
    assert not (tmp_path / "x.yml").exists()
    ui.s_path.value = ""
    ui.s_button.click()
    assert (project.scenarios_dir / "widget-test.yml").is_file()
    assert "已保存:data/raw/scenarios/widget-test.yml" in ui.s_msg.value
    assert "render --plan pingyang-2025-2027 --region pingyang" in ui.s_msg.value
    assert "--scenario data/raw/scenarios/widget-test.yml" in ui.s_msg.value


def test_app_says_why_it_cannot_open(tmp_path):
    from ontrack.lab.widgets import app

    page = app(project=str(tmp_path / "no-project-here"))
    assert "实验室无法打开" in page.value and "Traceback" not in page.value


def test_saving_over_a_file_already_there_asks_first(ui):
    example = ui.lab.project.scenarios_dir / "example-aojiang-slip.yml"
    before = example.read_bytes()
    ui.s_name.value = "over the example"
    ui.s_path.value = "data/raw/scenarios/example-aojiang-slip.yml"
    ui.s_button.click()
    assert "otl-msg-ask" in ui.s_msg.value and "已存在" in ui.s_msg.value
    assert ui.s_ask.layout.display == "flex" and example.read_bytes() == before
    ui.s_ask.children[0].click()  # 确认
    assert "已保存" in ui.s_msg.value and example.read_bytes() != before
    example.write_bytes(before)
