"""What the lab shows (ontrack.lab.views): the probability table in the briefing's words, the
summary line, the chart drawn into one figure, the messages and the render command.

On the small hand-made plan of test_lab.py (平阳县 and two townships, as of 2026-09)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_lab import AOJIANG, AS_OF, PLAN, XIAOJIANG, _progress, _targets

from ontrack.errors import InputError

N = 1_000


@pytest.fixture(scope="module")
def base_lab(tmp_path_factory):
    from conftest import copy_example_project

    from ontrack.lab import Lab

    project = copy_example_project(tmp_path_factory.mktemp("views") / "project")
    return Lab(PLAN, "pingyang", AS_OF, n_sims=N, project=project, targets=_targets(),
               progress=_progress())  # fmt: skip


@pytest.fixture
def lab(base_lab):
    base_lab.reset()
    base_lab.name = "scenario"
    return base_lab


def _row(html: str, key: str) -> str:
    m = re.search(rf'<tr class="[^"]*" data-key="{re.escape(key)}">(.*?)</tr>', html)
    assert m, key
    return m.group(1)


def test_the_table_speaks_the_briefings_words(lab):
    from ontrack.lab.views import results_table_html

    html = results_table_html(lab.results(), lab, "pingyang", 2026)
    # Chinese column names, no code names
    for word in ("期间", "目标", "已完成", "预计期末", "完成概率", "Δ", "状态"):
        assert word in html
    for code in ("p_meet", "proj_p50", "rag", "green", "amber"):
        assert f">{code}" not in html
    # one group per indicator, its unit in the title: 新增孵化空间面积（万平方米）, … （个）
    assert "（万平方米）" in html and "（个）" in html
    # as of 2026-09 the 2026 view holds the 2026 targets only (the plan has no multi-year
    # target here), and nothing changed: no row is marked
    keys = re.findall(r'data-key="([^"]+)"', html)
    assert keys == ["pingyang|space|2026|2026|baseline", "pingyang|firms|2026|2026|baseline"]
    assert 'class="chg' not in html


def test_a_changed_row_is_marked_with_its_change_and_status(lab):
    """萧江 firms stalled from October 2026: 27 done, 30 wanted, so the 2026 target can no longer
    be met (完成概率 <1%, 完成困难); before, 3 a month made it all but certain (绿)."""
    from ontrack.lab.views import results_table_html

    lab.set_pace(XIAOJIANG, "firms", "2026-10", 0.0)
    html = results_table_html(lab.results(), lab, XIAOJIANG, 2026)
    row = _row(html, f"{XIAOJIANG}|firms|2026|2026|baseline")
    assert 'data-key="pingyang|' not in html  # one region in view
    assert re.search(rf'<tr class="chg" data-key="{XIAOJIANG}\|firms\|2026', html)
    assert "▼" in row  # Δ in percentage points, down
    assert ">&lt;1%<" in row  # the scenario's 完成概率
    assert "完成困难" in row and "otl-rag-was" in row and ">绿<" in row  # 绿 → 完成困难
    assert "27" in row  # done to date: 9 months × 3
    # the space row of 萧江 is not touched
    assert "chg" not in re.search(r'<tr class="([^"]*)" data-key="' + XIAOJIANG + r"\|space",
                                  html).group(1)  # fmt: skip


def test_an_override_shows_the_plans_target_struck_through(lab):
    from ontrack.lab.views import results_table_html

    lab.override_target(AOJIANG, "space", 2027, 2027, "baseline", 6)
    html = results_table_html(lab.results(), lab, AOJIANG, 2027)
    row = _row(html, f"{AOJIANG}|space|2027|2027|baseline")
    assert "<td><s>5</s> 6</td>" in row  # the plan's 5 万㎡, the scenario's 6


def test_closed_periods_show_only_when_every_year_is_asked_for(lab):
    from ontrack.lab.views import results_table_html

    r = lab.results()
    assert "2025|2025" not in results_table_html(r, lab, "pingyang", 2026)
    every = results_table_html(r, lab, "pingyang", "*")
    row = _row(every, "pingyang|firms|2025|2025|baseline")
    # 2025: 12 × (2 + 3) = 60 firms done, target 60: over, and met
    assert "已结束 · 完成" in row
    assert re.search(r'<tr class="closed" data-key="pingyang\|firms\|2025', every)


def test_the_summary_names_the_biggest_moves(lab):
    from ontrack.lab.views import summary_html

    assert "情景为空" in summary_html(lab.results(), lab)
    lab.set_pace(XIAOJIANG, "firms", "2026-10", 0.0)
    text = summary_html(lab.results(), lab)
    # 萧江 and the county, firms 2026 and 2027 (see test_results_mark_changed_and_closed_rows)
    assert "情景改变了<b>4</b>个目标" in text and "萧江镇" in text


def test_the_chart_is_drawn_again_into_the_same_figure(lab):
    from ontrack.lab.views import ChartView

    view = ChartView()
    fig = view.draw(lab.chart_data("space", 2026, AOJIANG))
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "基线 80%区间" in labels and "目标 4" in labels  # 鳌江 2026: 4 万㎡
    assert not any("情景" in t for t in labels)  # an empty scenario: no scenario fan
    lab.add_project(AOJIANG, "space", "2026-11", 2.5, 1.0, "B")
    assert view.draw(lab.chart_data("space", 2026, AOJIANG)) is fig and len(fig.axes) == 1
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "情景 80%区间" in labels and "情景 中位数" in labels
    assert "完成概率 基线" in fig.axes[0].get_title(loc="right")
    assert view.png().startswith(b"\x89PNG")


def test_render_command_is_exact(lab, monkeypatch):
    import sys

    from ontrack.lab import views
    from ontrack.lab.views import render_command

    path = lab.project.scenarios_dir / "x.yml"
    root = str(lab.project.root)
    here = str(Path(sys.executable).with_name("ontrack"))
    # the lab's plan, region and month, its draws (1,000 ≠ the default 10,000); seed 0 is the
    # default and is left out; the scenario as a path inside the project; the ontrack that runs
    # the lab by its full path when that one is not on PATH (after `make briefing`)
    monkeypatch.setattr(views.shutil, "which", lambda name: None)
    assert render_command(lab, path) == (
        f"{here} --project {root} render --plan {PLAN} --region pingyang --as-of {AS_OF} "
        f"--scenario data/raw/scenarios/x.yml --sims {N}"
    )
    monkeypatch.setattr(views.shutil, "which", lambda name: here)  # on PATH: its name
    assert render_command(lab, path).startswith("ontrack --project ")


def test_messages_are_chinese_first_and_never_a_traceback(lab):
    from ontrack.lab.views import error_html, explain

    with pytest.raises(InputError) as exc:
        lab.add_project(AOJIANG, "space", "2027-01", -3, 1.0)
    kind, zh, en = explain(exc.value)
    assert kind == "error" and zh == "项目数量:须为大于0的数" and "-3" in en
    html = error_html(exc.value)
    assert html.index("须为大于0") < html.index("<small")  # the English in small print after
    kind, zh, en = explain(KeyError("x"))
    assert kind == "error" and zh == "内部错误,请报告" and "KeyError" in en


def test_the_page_without_widgets(lab):
    from ontrack.lab import view

    page = view(lab)._repr_html_()
    assert "<style>" in page and "otl-table" in page and "data:image/png;base64," in page
    assert "情景实验室" in page and "完成概率" in page
