"""The JupyterLab UI of the scenario lab (ipywidgets): ``widget(lab)``.

Every control calls one public method of :class:`ontrack.lab.Lab`; an
:class:`~ontrack.errors.InputError` is shown in red next to the control that caused it (never a
traceback), and the results table and the trajectory chart are refreshed after each change.
Names of regions and indicators come from the lab's project (``lab.reg``). This module imports
:mod:`ontrack.lab`, never the other way round.
"""

from __future__ import annotations

import html
import math
from typing import Any

import ipywidgets as w
from IPython.display import display

from .errors import InputError, OntrackError
from .lab import Lab
from .registry import Registry

_RED = "color:#c62828;font-weight:600"
_GREEN = "color:#2e7d32"


def _msg(label: w.HTML, text: str = "", ok: bool = False) -> None:
    if not text:
        label.value = ""
        return
    style = _GREEN if ok else _RED
    label.value = f"<span style='{style}'>{html.escape(text)}</span>"


def _region_label(reg: Registry, r: str) -> str:
    return "全部 all regions (*)" if r == "*" else f"{reg.region_name(r)} ({r})"


def _indicator_label(reg: Registry, i: str) -> str:
    return "全部 all indicators (*)" if i == "*" else f"{reg.indicator_name(i)} ({i})"


class LabUI:
    """The widgets of one lab; ``LabUI(lab).box`` is what the notebook displays."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self.reg = lab.reg
        self.table_out = w.Output()
        self.chart_out = w.Output()
        self.status = w.HTML()
        self.pace_controls: dict[tuple[str, str], tuple[w.FloatSlider, w.Dropdown, w.HTML]] = {}
        self._syncing = False
        tabs = w.Tab(
            children=[self._pace_tab(), self._pipeline_tab(), self._targets_tab(), self._save_tab()]
        )
        for i, title in enumerate(["节奏 pace", "项目 pipeline", "目标 targets", "保存 save"]):
            tabs.set_title(i, title)
        self.box = w.VBox(
            [
                w.HTML(
                    "<h3>情景实验室 scenario lab — "
                    f"{html.escape(self.reg.region_name(lab.region))}, "
                    f"{html.escape(lab.plan)}, as of {lab.as_of}, {lab.n_sims:,} draws</h3>"
                ),
                tabs,
                self.status,
                w.HTML("<b>结果 results</b> (baseline vs scenario)"),
                self._table_controls(),
                self.table_out,
                self._chart_controls(),
                self.chart_out,
            ]
        )
        self.refresh()

    # ------------------------------------------------------------------ pace

    def _pace_tab(self) -> w.Widget:
        months = self.lab.months()
        sections, titles = [], []
        for region in ["*", *self.lab.regions]:
            rows = []
            for ind in ["*", *self.lab.indicators]:
                factor, start = self.lab.pace_factor(region, ind)
                slider = w.FloatSlider(
                    value=factor,
                    min=0.0,
                    max=max(2.0, math.ceil(factor)),
                    step=0.05,
                    description=_indicator_label(self.reg, ind),
                    continuous_update=False,
                    readout_format=".2f",
                    style={"description_width": "230px"},
                    layout=w.Layout(width="520px"),
                )
                frm = w.Dropdown(
                    options=months,
                    value=start if start in months else (months[0] if months else None),
                    description="从 from",
                    layout=w.Layout(width="190px"),
                    style={"description_width": "55px"},
                )
                err = w.HTML()
                self.pace_controls[(region, ind)] = (slider, frm, err)

                def on_factor(_change: Any, region=region, ind=ind) -> None:
                    self._set_pace(region, ind)

                def on_from(change: Any, region=region, ind=ind) -> None:
                    self._set_pace(region, ind, old_from=change["old"])

                slider.observe(on_factor, names="value")
                frm.observe(on_from, names="value")
                rows.append(w.HBox([slider, frm, err]))
            sections.append(w.VBox(rows))
            titles.append(_region_label(self.reg, region))
        acc = w.Accordion(children=sections)
        for i, t in enumerate(titles):
            acc.set_title(i, t)
        reset = w.Button(description="全部复原 reset pace", icon="undo")
        reset.on_click(lambda _b: self._reset_pace())
        note = w.HTML(
            "系数 factor × 今后每月的节奏 (1 = 照旧 as now, 0 = 停滞 stalled, 1.5 = 快一半 half "
            "again as fast), 从所选月份起 from the chosen month."
        )
        self.pace_list = w.HTML()
        return w.VBox([note, acc, reset, self.pace_list, self._solver()])

    def _solver(self) -> w.Widget:
        lab = self.lab
        self.q_region = w.Dropdown(
            options=[(_region_label(self.reg, r), r) for r in lab.regions],
            description="地区 region",
        )
        self.q_indicator = w.Dropdown(
            options=[(_indicator_label(self.reg, i), i) for i in lab.indicators],
            description="指标 indicator",
        )
        years = [y for y in lab.years if y >= int(lab.first_month[:4])] or list(lab.years)
        self.q_year = w.Dropdown(options=years, description="年 year")
        self.q_p = w.FloatSlider(
            value=0.8, min=0.5, max=0.95, step=0.05, description="把握 p", readout_format=".0%"
        )
        self.q_out = w.HTML()
        self.q_solve = w.Button(description="求解 solve", icon="search")
        self.q_apply = w.Button(description="采用 apply this pace", icon="check", disabled=True)
        self.q_solve.on_click(lambda _b: self._solve())
        self.q_apply.on_click(lambda _b: self._apply_solution())
        self._solution: dict[str, Any] | None = None
        return w.VBox(
            [
                w.HTML("<b>需要多快? How much faster must it go?</b>"),
                w.HBox([self.q_region, self.q_indicator, self.q_year, self.q_p]),
                w.HBox([self.q_solve, self.q_apply]),
                self.q_out,
            ]
        )

    def _solve(self) -> None:
        self._solution = None
        self.q_apply.disabled = True
        try:
            r = self.lab.required_pace(
                self.q_region.value, self.q_indicator.value, self.q_year.value, self.q_p.value
            )
        except OntrackError as exc:
            _msg(self.q_out, str(exc))
            return
        except Exception as exc:  # a bug, not the user's input: still no traceback in the UI
            _msg(self.q_out, _internal(exc))
            return
        who = f"{self.reg.region_name(r['region'])} {self.reg.indicator_name(r['indicator'])}"
        who += f" {r['year']}"
        if r["factor"] is None:
            _msg(
                self.q_out,
                f"{who}: even 5× the usual pace from {r['from']} gives only "
                f"{r['p_meet_at_factor']:.0%} (target {r['target']:g}).",
            )
            return
        self._solution = r
        self.q_apply.disabled = False
        _msg(
            self.q_out,
            f"{who}: 目标 target {r['target']:g}, 现在 now {r['p_meet_now']:.0%}. "
            f"需 {r['factor']:.2f} 倍节奏 (from {r['from']}) → {r['p_meet_at_factor']:.0%}.",
            ok=True,
        )

    def _apply_solution(self) -> None:
        r = self._solution
        if r is None:
            return
        factor = math.ceil(r["factor"] * 100) / 100  # up to the hundredth, never below
        if self._call(
            self.q_out, self.lab.set_pace, r["region"], r["indicator"], r["from"], factor
        ):
            self._sync_pace()

    def _set_pace(self, region: str, ind: str, old_from: str | None = None) -> None:
        if self._syncing:
            return
        slider, frm, err = self.pace_controls[(region, ind)]

        def move() -> None:
            with self.lab.batch(f"pace {region} × {ind} from {old_from} → {frm.value}"):
                self.lab.remove_pace(region, ind, old_from)
                self.lab.set_pace(region, ind, frm.value, slider.value)

        if old_from is None:
            self._call(err, self.lab.set_pace, region, ind, frm.value, slider.value)
        else:
            self._call(err, move)

    def _sync_pace_list(self) -> None:
        items = [
            html.escape(
                f"{_region_label(self.reg, p['region'])} · "
                f"{_indicator_label(self.reg, p['indicator'])}: "
                f"× {p['factor']:g} from {p['from']}"
            ).join(["<li>", "</li>"])
            for p in self.lab.pace
        ]
        head = "<b>当前节奏规则 current pace rules</b> (later from-month wins)"
        self.pace_list.value = head + (f"<ul>{''.join(items)}</ul>" if items else " <i>无 none</i>")

    def _reset_pace(self) -> None:
        self._call(self.status, self.lab.clear_pace)
        self._sync_pace()

    def _sync_pace(self) -> None:
        self._syncing = True
        try:
            for (region, ind), (slider, frm, err) in self.pace_controls.items():
                factor, start = self.lab.pace_factor(region, ind)
                if factor > slider.max:
                    slider.max = math.ceil(factor)
                slider.value = factor
                if start in frm.options:
                    frm.value = start
                _msg(err)
        finally:
            self._syncing = False

    # ------------------------------------------------------------------ pipeline

    def _pipeline_tab(self) -> w.Widget:
        lab = self.lab
        self.p_region = w.Dropdown(
            options=[(_region_label(self.reg, r), r) for r in lab.regions],
            description="地区 region",
        )
        self.p_indicator = w.Dropdown(
            options=[(_indicator_label(self.reg, i), i) for i in lab.indicators],
            description="指标 indicator",
        )
        self.p_month = w.Dropdown(options=lab.months(), description="月份 month")
        self.p_amount = w.FloatText(value=1.0, description="数量 amount")
        self.p_prob = w.FloatText(value=1.0, step=0.05, description="概率 probability")
        self.p_label = w.Text(
            value="", description="名称 label", placeholder="e.g. 鳌江科创园 B 栋"
        )
        self.p_list = w.Select(
            options=[], description="项目 projects", rows=6, layout=w.Layout(width="640px")
        )
        self.p_err = w.HTML()
        add = w.Button(description="添加 add", icon="plus", button_style="success")
        edit = w.Button(description="修改所选 update selected", icon="pencil")
        remove = w.Button(
            description="删除所选 remove selected", icon="trash", button_style="danger"
        )
        add.on_click(lambda _b: self._add_project())
        edit.on_click(lambda _b: self._edit_project())
        remove.on_click(lambda _b: self._remove_project())
        self.p_list.observe(self._select_project, names="value")
        self.p_buttons = (add, edit, remove)
        for ctl in (self.p_region, self.p_indicator, self.p_month, self.p_amount, self.p_prob):
            ctl.style = {"description_width": "110px"}
        self.p_label.style = {"description_width": "110px"}
        self._sync_projects()
        return w.VBox(
            [
                w.HBox(
                    [
                        w.VBox([self.p_region, self.p_indicator, self.p_month]),
                        w.VBox([self.p_amount, self.p_prob, self.p_label]),
                    ]
                ),
                w.HBox([add, edit, remove]),
                self.p_err,
                self.p_list,
            ]
        )

    def _project_fields(self) -> dict[str, Any]:
        return {
            "region": self.p_region.value,
            "indicator": self.p_indicator.value,
            "month": self.p_month.value,
            "amount": self.p_amount.value,
            "probability": self.p_prob.value,
            "label": self.p_label.value,
        }

    def _add_project(self) -> None:
        if self._call(self.p_err, self.lab.add_project, **self._project_fields()):
            self._sync_projects(select=len(self.lab.pipeline) - 1)

    def _edit_project(self) -> None:
        idx = self.p_list.value
        if idx is None:
            _msg(self.p_err, "project: select a project in the list first")
            return
        if self._call(self.p_err, self.lab.edit_project, idx, **self._project_fields()):
            self._sync_projects(select=idx)

    def _remove_project(self) -> None:
        idx = self.p_list.value
        if idx is None:
            _msg(self.p_err, "project: select a project in the list first")
            return
        if self._call(self.p_err, self.lab.remove_project, idx):
            self._sync_projects()

    def _select_project(self, change: Any) -> None:
        idx = change["new"]
        if idx is None or idx >= len(self.lab.pipeline):
            return
        p = self.lab.pipeline[idx]
        self.p_region.value = p["region"]
        self.p_indicator.value = p["indicator"]
        if p["month"] in self.p_month.options:
            self.p_month.value = p["month"]
        self.p_amount.value = p["amount"]
        self.p_prob.value = p["probability"]
        self.p_label.value = p["label"]

    def _sync_projects(self, select: int | None = None) -> None:
        opts = [
            (
                f"{i}: {p['label']} — {self.reg.region_name(p['region'])} "
                f"{self.reg.indicator_name(p['indicator'])} "
                f"{p['month']} +{p['amount']:g} (p={p['probability']:g})",
                i,
            )
            for i, p in enumerate(self.lab.pipeline)
        ]
        self.p_list.options = opts
        self.p_list.value = select if select is not None and select < len(opts) else None

    # ------------------------------------------------------------------ targets

    def _targets_tab(self) -> w.Widget:
        keys = self.lab.target_keys()
        opts = []
        for row in keys.itertuples(index=False):
            span = (
                f"{row.year_start}"
                if row.year_start == row.year_end
                else (f"{row.year_start}–{row.year_end}")
            )
            text = (
                f"{self.reg.region_name(row.region_id)} "
                f"{self.reg.indicator_name(row.indicator_id)} {span} "
                f"{row.level}: {row.target:g}"
            )
            opts.append(
                (
                    text,
                    (
                        row.region_id,
                        row.indicator_id,
                        int(row.year_start),
                        int(row.year_end),
                        row.level,
                    ),
                )
            )
        self.t_key = w.Dropdown(
            options=opts, description="目标 target", layout=w.Layout(width="560px")
        )
        self.t_value = w.FloatText(
            value=keys["target"].iloc[0] if len(keys) else 0.0, description="新值 value"
        )
        self.t_err = w.HTML()
        self.t_list = w.HTML()
        apply_ = w.Button(description="改目标 override", icon="check")
        clear = w.Button(description="恢复 restore", icon="undo")
        apply_.on_click(lambda _b: self._override(True))
        clear.on_click(lambda _b: self._override(False))
        self.t_buttons = (apply_, clear)
        self._sync_overrides()
        return w.VBox(
            [w.HBox([self.t_key, self.t_value]), w.HBox([apply_, clear]), self.t_err, self.t_list]
        )

    def _override(self, set_: bool) -> None:
        if self.t_key.value is None:
            return
        region, ind, y0, y1, level = self.t_key.value
        value = self.t_value.value if set_ else None
        if self._call(self.t_err, self.lab.override_target, region, ind, y0, y1, level, value):
            self._sync_overrides()

    def _sync_overrides(self) -> None:
        items = [
            html.escape(
                f"{self.reg.region_name(o['region'])} {self.reg.indicator_name(o['indicator'])} "
                f"{o['year_start']}–{o['year_end']} {o['level']}: {o['value']:g}"
            ).join(["<li>", "</li>"])
            for o in self.lab.overrides
        ]
        self.t_list.value = f"<ul>{''.join(items)}</ul>" if items else "<i>无 none</i>"

    # ------------------------------------------------------------------ save

    def _save_tab(self) -> w.Widget:
        self.s_name = w.Text(value=self.lab.name, description="名称 name")
        self.s_desc = w.Textarea(
            value=self.lab.description,
            description="说明 description",
            layout=w.Layout(width="560px"),
        )
        # relative to the project folder; empty: data/raw/scenarios/<name>.yml
        self.s_path = w.Text(
            value="",
            placeholder=self.lab.project.relative(self.lab.default_path()),
            description="文件 path",
            layout=w.Layout(width="560px"),
        )
        self.s_err = w.HTML()
        self.s_button = w.Button(
            description="保存情景 / save scenario", icon="save", button_style="primary"
        )
        self.s_button.on_click(lambda _b: self._save())
        return w.VBox([self.s_name, self.s_desc, self.s_path, self.s_button, self.s_err])

    def _save(self) -> None:
        try:
            self.lab.set_name(self.s_name.value, self.s_desc.value)
            path = self.lab.save(self.s_path.value.strip())
        except (InputError, OntrackError, OSError) as exc:
            _msg(self.s_err, str(exc))
            return
        except Exception as exc:  # a bug, not the user's input: still no traceback in the UI
            _msg(self.s_err, _internal(exc))
            return
        rel = self.lab.project.relative(path)
        _msg(self.s_err, f"已保存 saved: {rel} — ontrack render --scenario {rel}", ok=True)

    # ------------------------------------------------------------------ results

    def _chart_controls(self) -> w.Widget:
        lab = self.lab
        self.c_region = w.Dropdown(
            options=[(_region_label(self.reg, r), r) for r in lab.regions],
            description="地区 region",
        )
        self.c_indicator = w.Dropdown(
            options=[(_indicator_label(self.reg, i), i) for i in lab.indicators],
            description="指标 indicator",
        )
        years = list(lab.years)
        year = int(lab.first_month[:4])
        self.c_year = w.Dropdown(
            options=years, value=year if year in years else years[-1], description="年 year"
        )
        self.c_err = w.HTML()
        for ctl in (self.c_region, self.c_indicator, self.c_year):
            ctl.observe(lambda _c: self.refresh_chart(), names="value")
        return w.VBox(
            [
                w.HTML("<b>走势 trajectory</b>"),
                w.HBox([self.c_region, self.c_indicator, self.c_year]),
                self.c_err,
            ]
        )

    def _table_controls(self) -> w.Widget:
        self.r_region = w.Dropdown(
            options=[("全部 all", "*")]
            + [(_region_label(self.reg, r), r) for r in self.lab.regions],
            value=self.lab.region,
            description="地区 region",
        )
        self.r_changed = w.Checkbox(value=False, description="只看变化 changed rows only")
        for ctl in (self.r_region, self.r_changed):
            ctl.observe(lambda _c: self.refresh_table(), names="value")
        return w.HBox([self.r_region, self.r_changed])

    def refresh_table(self) -> None:
        table = self.lab.changed() if self.r_changed.value else self.lab.results()
        if self.r_region.value != "*":
            table = table[table["region_id"] == self.r_region.value]
        self.table_out.clear_output(wait=True)
        with self.table_out:
            display(_styled(table))

    def refresh(self) -> None:
        """Redraw the results table and the chart from the lab's current state."""
        self._sync_pace_list()
        self.refresh_table()
        last = self.lab.timings[-1] if self.lab.timings else None
        if last:
            _msg(
                self.status,
                f"{last['change']} → {last['recomputed']}: {last['seconds']:.3f} s",
                ok=True,
            )
        self.refresh_chart()

    def refresh_chart(self) -> None:
        self.chart_out.clear_output(wait=True)
        try:
            fig = self.lab.trajectory_figure(
                self.c_indicator.value, self.c_year.value, self.c_region.value
            )
        except OntrackError as exc:
            _msg(self.c_err, str(exc))
            return
        except Exception as exc:  # a bug, not the user's input: still no traceback in the UI
            _msg(self.c_err, _internal(exc))
            return
        _msg(self.c_err)
        with self.chart_out:
            display(fig)

    def _call(self, err: w.HTML, fn, *args: Any, **kwargs: Any) -> bool:
        """Run one lab method; show an input error next to the control, else refresh."""
        try:
            fn(*args, **kwargs)
        except OntrackError as exc:
            _msg(err, str(exc))
            return False
        except Exception as exc:  # a bug, not the user's input: still no traceback in the UI
            _msg(err, _internal(exc))
            return False
        _msg(err)
        self.refresh()
        return True


def _internal(exc: Exception) -> str:
    return f"internal error (please report): {type(exc).__name__}: {exc}"


def _styled(df):
    """The results table with the changes coloured (plain DataFrame if styling is unavailable)."""
    show = df.drop(columns=["plan_id", "region_id", "indicator_id"])
    fmt = {
        "p_meet_baseline": "{:.0%}",
        "p_meet_scenario": "{:.0%}",
        "p_meet_change": "{:+.0%}",
        "proj_p50_baseline": "{:.4g}",
        "proj_p50_scenario": "{:.4g}",
        "proj_p50_change": "{:+.4g}",
        "target_baseline": "{:.4g}",
        "target_scenario": "{:.4g}",
        "actual_to_date": "{:.4g}",
    }

    def colour(v: float) -> str:
        if v > 0.005:
            return "color:#2e7d32;font-weight:600"
        if v < -0.005:
            return "color:#c62828;font-weight:600"
        return ""

    try:
        return (
            show.style.format(fmt, na_rep="–")
            .map(colour, subset=["p_meet_change", "proj_p50_change"])
            .hide(axis="index")
        )
    except ImportError:  # jinja2 missing
        return show


def widget(lab: Lab) -> w.Widget:
    """The whole UI for ``lab`` as one widget (display it as a cell's last expression)."""
    ui = LabUI(lab)
    ui.box.ui = ui  # keep the controller reachable (tests, power users)
    return ui.box


__all__ = ["LabUI", "widget"]
