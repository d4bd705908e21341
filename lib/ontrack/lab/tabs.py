"""The lab's five tabs (节奏 pace, 项目 projects, 目标 targets, 需多快 how fast, 保存 save), one
class each: the widgets of the tab and the methods its controls call. :class:`.widgets.LabUI`
is made of them (mixins: one object, so the tabs share the lab, the messages and the redraw),
and owns the layout, the filters, the table and the chart.
"""

from __future__ import annotations

import math
from typing import Any

import ipywidgets as w

from ..briefing.fmt import fmt_num
from ..briefing.narrative import period_label
from .state import NeedsConfirmation
from .views import error_html, message_html, saved_html, solver_message

_LEVEL = {"baseline": "基准", "stretch": "高线"}


def _layout(**kw: Any) -> w.Layout:
    return w.Layout(**kw)


def _wide(**kw: Any) -> dict[str, Any]:
    return {"style": {"description_width": "58px"}, "layout": _layout(width="100%"), **kw}


class PaceTab:
    """The tab 节奏 (pace): rules making a region and indicator slower or faster from a month
    on. Mixed into :class:`~ontrack.lab.widgets.LabUI`, which gives it ``lab``, ``_call``,
    ``refresh`` and the confirm row."""

    def _pace_tab(self) -> w.Widget:
        self.pace_region = w.Dropdown(
            options=self._regions(star=True), value=self._first_sub(), description="地区", **_wide()
        )
        self.pace_ind = w.Dropdown(
            options=self._indicators(star=True), value="*", description="指标", **_wide()
        )
        self.pace_from = w.Dropdown(
            options=self.months,
            value=self.months[0] if self.months else None,
            description="起始月份",
            **_wide(),
        )
        self.pace_slider = w.FloatSlider(
            value=1.0,
            min=0.0,
            max=3.0,
            step=0.05,
            description="节奏 ×",
            readout_format=".2f",
            continuous_update=False,
            **_wide(),
        )
        self.pace_rules = w.Select(options=[], rows=4, description="现有规则", **_wide())
        remove = w.Button(description="删除所选规则", icon="trash")
        reset = w.Button(description="全部复原", icon="undo")
        remove.on_click(lambda _b: self._remove_rule())
        reset.on_click(lambda _b: self._call(self.pace_msg, self.lab.clear_pace))
        self.pace_msg = w.HTML()
        for ctl in (self.pace_region, self.pace_ind, self.pace_from):
            ctl.observe(lambda _c: self._pace_follow(), names="value")
        self.pace_slider.observe(lambda _c: self._set_pace(), names="value")
        self.pace_rules.observe(self._select_rule, names="value")
        return w.VBox(
            [
                self._help(
                    "1 = 照旧,0 = 停滞,1.5 = 快一半;自起始月份起生效,起始月份较晚的规则优先。",
                    "factor × the usual monthly pace, from the month chosen on",
                ),
                self.pace_region,
                self.pace_ind,
                self.pace_from,
                self.pace_slider,
                self.pace_rules,
                self._buttons(remove, reset),
                self.pace_msg,
            ]
        )

    def _pace_follow(self) -> None:
        """The slider shows the factor of the rule the three selections name (1 if none)."""
        if self._syncing:
            return
        factor, _ = self.lab.pace_factor(
            self.pace_region.value, self.pace_ind.value, self.pace_from.value
        )
        self._quietly(self.pace_slider, "value", factor)
        self.pace_msg.value = ""

    def _set_pace(self) -> None:
        if self._syncing:
            return
        self._call(
            self.pace_msg,
            self.lab.set_pace,
            self.pace_region.value,
            self.pace_ind.value,
            self.pace_from.value,
            self.pace_slider.value,
        )

    def _remove_rule(self) -> None:
        i = self.pace_rules.value
        if i is None or i >= len(self.lab.pace):
            self.pace_msg.value = message_html("error", "请先在“现有规则”中选一条", "select a rule")
            return
        r = self.lab.pace[i]
        self._call(self.pace_msg, self.lab.remove_pace, r["region"], r["indicator"], r["from"])

    def _select_rule(self, change: Any) -> None:
        i = change["new"]
        if self._syncing or i is None or i >= len(self.lab.pace):
            return
        r = self.lab.pace[i]
        self._syncing = True
        try:
            self.pace_region.value = r["region"]
            self.pace_ind.value = r["indicator"]
            if r["from"] in self.pace_from.options:
                self.pace_from.value = r["from"]
            self.pace_slider.value = r["factor"]
        finally:
            self._syncing = False

    def _sync_pace(self) -> None:
        def name(p: dict[str, Any]) -> str:
            reg = "全部地区" if p["region"] == "*" else self.reg.short_name(p["region"])
            ind = "全部指标" if p["indicator"] == "*" else self.reg.indicator_name(p["indicator"])
            return f"{reg} · {ind} · 自{p['from']} ×{p['factor']:.2f}"

        self._quietly(
            self.pace_rules, "options", [(name(p), i) for i, p in enumerate(self.lab.pace)]
        )
        self._pace_follow()


class ProjectTab:
    """The tab 项目 (projects): known projects, an amount expected in a month. Mixed into
    :class:`~ontrack.lab.widgets.LabUI`, which gives it ``lab``, ``_call``, ``refresh`` and the
    confirm row."""

    def _project_tab(self) -> w.Widget:
        self.p_region = w.Dropdown(
            options=self._regions(), value=self._first_sub(), description="地区", **_wide()
        )
        self.p_ind = w.Dropdown(options=self._indicators(), description="指标", **_wide())
        self.p_month = w.Dropdown(options=self.months, description="完成月份", **_wide())
        self.p_amount = w.FloatText(
            value=1.0,
            description="数量",
            style={"description_width": "58px"},
            layout=_layout(width="170px"),
        )
        self.p_unit = w.HTML()
        self.p_ref = w.HTML()
        self.p_prob = w.FloatSlider(
            value=1.0,
            min=0.0,
            max=1.0,
            step=0.05,
            description="落地概率",
            readout_format=".0%",
            continuous_update=False,
            **_wide(),
        )
        self.p_label = w.Text(description="名称", placeholder="如:鳌江科创园B栋", **_wide())
        self.p_list = w.Select(options=[], rows=4, description="项目", **_wide())
        add = w.Button(description="添加", icon="plus", button_style="success")
        edit = w.Button(description="修改所选", icon="pencil")
        remove = w.Button(description="删除所选", icon="trash")
        add.on_click(lambda _b: self._add_project())
        edit.on_click(lambda _b: self._edit_project())
        remove.on_click(lambda _b: self._remove_project())
        self.p_buttons = (add, edit, remove)
        self.p_msg = w.HTML()
        self.p_ask = self._confirm_row("project")
        for ctl in (self.p_region, self.p_ind, self.p_month):
            ctl.observe(lambda _c: self._project_hint(), names="value")
        for ctl in (self.p_region, self.p_ind, self.p_month, self.p_amount):
            ctl.observe(lambda _c: self._cancel_ask("project"), names="value")
        self.p_list.observe(self._select_project, names="value")
        amount_row = w.HBox([self.p_amount, self.p_unit], layout=_layout(align_items="center"))
        return w.VBox(
            [
                self._help(
                    "已知项目:某月完成的数量(如一栋楼的面积)及其落地概率。",
                    "a known project: its amount in a month, and its probability",
                ),
                self.p_region,
                self.p_ind,
                self.p_month,
                amount_row,
                self.p_ref,
                self.p_prob,
                self.p_label,
                self._buttons(add, edit, remove),
                self.p_msg,
                self.p_ask,
                self.p_list,
            ]
        )

    def _project_hint(self) -> None:
        """The unit beside the amount, and the region's yearly target for scale."""
        ind, region = self.p_ind.value, self.p_region.value
        unit = self.lab.scope.unit(ind)
        self.p_unit.value = f'<span class="otl otl-unit"><b>{unit or "—"}</b></span>'
        ref_text = ""
        if self.p_month.value:
            year = int(self.p_month.value[:4])
            ref = self.lab.scope.yearly_target(region, ind, year)
            if ref is not None:
                ref_text = f"对照:{self.reg.region_name(region)}{year}年目标 {fmt_num(ref)}{unit}"
        self.p_ref.value = f'<div class="otl otl-help">{ref_text}</div>' if ref_text else ""

    def _project_fields(self) -> dict[str, Any]:
        return {
            "region": self.p_region.value,
            "indicator": self.p_ind.value,
            "month": self.p_month.value,
            "amount": self.p_amount.value,
            "probability": self.p_prob.value,
            "label": self.p_label.value,
        }

    def _add_project(self) -> None:
        if self._call(self.p_msg, self.lab.add_project, ask="project", **self._project_fields()):
            self._select_last_project()

    def _select_last_project(self) -> None:
        self._quietly(self.p_list, "value", len(self.lab.pipeline) - 1)

    def _edit_project(self) -> None:
        i = self.p_list.value
        if i is None:
            self.p_msg.value = message_html("error", "请先在列表中选一个项目", "select a project")
            return
        self._call(self.p_msg, self.lab.edit_project, i, ask="project", **self._project_fields())

    def _remove_project(self) -> None:
        i = self.p_list.value
        if i is None:
            self.p_msg.value = message_html("error", "请先在列表中选一个项目", "select a project")
            return
        self._call(self.p_msg, self.lab.remove_project, i)

    def _select_project(self, change: Any) -> None:
        i = change["new"]
        if self._syncing or i is None or i >= len(self.lab.pipeline):
            return
        p = self.lab.pipeline[i]
        self._syncing = True
        try:
            self.p_region.value, self.p_ind.value = p["region"], p["indicator"]
            if p["month"] in self.p_month.options:
                self.p_month.value = p["month"]
            self.p_amount.value, self.p_prob.value = p["amount"], p["probability"]
            self.p_label.value = p["label"]
        finally:
            self._syncing = False
        self._project_hint()

    def _sync_projects(self) -> None:
        def name(p: dict[str, Any]) -> str:
            unit = self.lab.scope.unit(p["indicator"])
            text = f"{p['label']} · {p['month']} · +{fmt_num(p['amount'])}{unit}"
            return text + (f" · {p['probability']:.0%}" if p["probability"] < 1 else "")

        keep = self.p_list.value
        opts = [(name(p), i) for i, p in enumerate(self.lab.pipeline)]
        self._quietly(self.p_list, "options", opts)
        self._quietly(self.p_list, "value", keep if keep is not None and keep < len(opts) else None)
        self._project_hint()


class TargetTab:
    """The tab 目标 (targets): target overrides. Mixed into
    :class:`~ontrack.lab.widgets.LabUI`, which gives it ``lab``, ``_call``, ``refresh`` and the
    confirm row."""

    def _target_tab(self) -> w.Widget:
        keys = self.lab.target_keys()
        opts = []
        for r in keys[~keys["closed"]].itertuples(index=False):
            label = " · ".join(
                [
                    self.reg.short_name(r.region_id),
                    self.reg.indicator_name(r.indicator_id),
                    period_label(int(r.year_start), int(r.year_end)),
                ]
            ) + ("" if r.level == "baseline" else f" · {_LEVEL.get(r.level, r.level)}")
            key = (r.region_id, r.indicator_id, int(r.year_start), int(r.year_end), r.level)
            opts.append((label, key))
        closed = sorted({int(y) for y in keys.loc[keys["closed"], "year_end"]})
        self.t_key = w.Dropdown(options=opts, description="目标", **_wide())
        self.t_value = w.FloatText(
            value=0.0,
            description="新目标",
            style={"description_width": "58px"},
            layout=_layout(width="170px"),
        )
        self.t_unit = w.HTML()
        self.t_ref = w.HTML()
        apply_ = w.Button(description="改目标", icon="check")
        restore = w.Button(description="恢复原目标", icon="undo")
        apply_.on_click(lambda _b: self._override(True))
        restore.on_click(lambda _b: self._override(False))
        self.t_buttons = (apply_, restore)
        self.t_msg = w.HTML()
        self.t_ask = self._confirm_row("target")
        self.t_list = w.HTML()
        self.t_key.observe(lambda _c: self._target_follow(), names="value")
        for ctl in (self.t_key, self.t_value):
            ctl.observe(lambda _c: self._cancel_ask("target"), names="value")
        note = f"{'、'.join(f'{y}年' for y in closed)}已结束,其目标不能调整。" if closed else ""
        return w.VBox(
            [
                self._help(f"假设目标改为新值。{note}", "override a target (open years only)"),
                self.t_key,
                w.HBox([self.t_value, self.t_unit], layout=_layout(align_items="center")),
                self.t_ref,
                self._buttons(apply_, restore),
                self.t_msg,
                self.t_ask,
                self.t_list,
            ]
        )

    def _target_follow(self) -> None:
        """The value box shows the selected target's value in the scenario, with its unit."""
        if self.t_key.value is None:
            return
        region, ind, y0, y1, level = self.t_key.value
        value = self.lab.target_value(region, ind, y0, y1, level)
        plan_value = self.lab.scope.key_row(region, ind, y0, y1, level)["target"]
        self._quietly(self.t_value, "value", float(value))
        unit = self.lab.scope.unit(ind)
        self.t_unit.value = f'<span class="otl otl-unit"><b>{unit or "—"}</b></span>'
        text = f"计划原目标 {fmt_num(plan_value)}{unit}"
        if abs(value - plan_value) > 1e-9:
            text += f";情景中已改为 {fmt_num(value)}{unit}"
        self.t_ref.value = f'<div class="otl otl-help">{text}</div>'

    def _override(self, set_: bool) -> None:
        if self.t_key.value is None:
            return
        region, ind, y0, y1, level = self.t_key.value
        value = self.t_value.value if set_ else None
        self._call(
            self.t_msg, self.lab.override_target, region, ind, y0, y1, level, value, ask="target"
        )

    def _sync_targets(self) -> None:
        items = []
        for o in self.lab.overrides:
            unit = self.lab.scope.unit(o["indicator"])
            name = f"{self.reg.region_name(o['region'])} {self.reg.indicator_name(o['indicator'])}"
            plan_value = self.lab.scope.key_row(
                o["region"], o["indicator"], o["year_start"], o["year_end"], o["level"]
            )["target"]
            level = "" if o["level"] == "baseline" else _LEVEL.get(o["level"], o["level"])
            items.append(
                f"<li>{name} {period_label(o['year_start'], o['year_end'])}{level}:"
                f"{fmt_num(o['value'])}{unit}(原{fmt_num(plan_value)})</li>"
            )
        self.t_list.value = (
            f'<div class="otl"><b>已调整</b><ul class="otl-list">{"".join(items)}</ul></div>'
            if items
            else ""
        )
        self._target_follow()


class SolverTab:
    """The tab 需多快 (how fast): the pace that would meet a target. Mixed into
    :class:`~ontrack.lab.widgets.LabUI`, which gives it ``lab``, ``_call``, ``refresh`` and the
    confirm row."""

    def _solver_tab(self) -> w.Widget:
        years = self.open_years or list(self.lab.years)
        self.q_region = w.Dropdown(
            options=self._regions(), value=self._first_sub(), description="地区", **_wide()
        )
        self.q_ind = w.Dropdown(options=self._indicators(), description="指标", **_wide())
        self.q_year = w.Dropdown(
            options=[(f"{y}年", y) for y in years], description="年度", **_wide()
        )
        self.q_p = w.FloatSlider(
            value=0.8,
            min=0.5,
            max=0.95,
            step=0.05,
            description="把握",
            readout_format=".0%",
            continuous_update=False,
            **_wide(),
        )
        self.q_solve = w.Button(description="求解", icon="search", button_style="info")
        self.q_apply = w.Button(description="采用此节奏", icon="check", disabled=True)
        self.q_solve.on_click(lambda _b: self._solve())
        self.q_apply.on_click(lambda _b: self._apply_solution())
        self.q_msg = w.HTML()
        return w.VBox(
            [
                self._help(
                    "某地某指标自下月起要以原来几倍的节奏,完成年度目标的把握才达到所选水平?",
                    "how much faster must it go for this probability of meeting the year's target?",
                ),
                self.q_region,
                self.q_ind,
                self.q_year,
                self.q_p,
                self._buttons(self.q_solve, self.q_apply),
                self.q_msg,
            ]
        )

    def _solve(self) -> None:
        self._solution = None
        self.q_apply.disabled = True
        self.q_msg.value = message_html("info", "计算中……", "solving")
        try:
            r = self.lab.required_pace(
                self.q_region.value, self.q_ind.value, self.q_year.value, self.q_p.value
            )
        except Exception as exc:  # an input error, or a bug: said, never a traceback
            self.q_msg.value = error_html(exc)
            return
        kind, zh, en = solver_message(r, self.lab)
        self.q_msg.value = message_html(kind, zh, en)
        if r["factor"] is not None:
            self._solution = r
            self.q_apply.disabled = False

    def _apply_solution(self) -> None:
        r = self._solution
        if r is None:
            return
        factor = math.ceil(round(r["factor"] * 100, 6)) / 100  # up to the hundredth, not below
        if self._call(
            self.q_msg, self.lab.set_pace, r["region"], r["indicator"], r["from"], factor
        ):
            self.q_msg.value = message_html(
                "ok", f"已采用:自{r['from']}起节奏 ×{factor:.2f}(见“节奏”页)", "applied"
            )


class SaveTab:
    """The tab 保存 (save): the scenario saved as YAML, and the command that renders it. Mixed into
    :class:`~ontrack.lab.widgets.LabUI`, which gives it ``lab``, ``_call``, ``refresh`` and the
    confirm row."""

    def _save_tab(self) -> w.Widget:
        self.s_name = w.Text(value=self.lab.name, description="名称", **_wide())
        self.s_desc = w.Textarea(value=self.lab.description, description="说明", rows=2, **_wide())
        self.s_path = w.Text(value="", description="文件", **_wide())
        self.s_button = w.Button(description="保存情景", icon="save", button_style="primary")
        self.s_button.on_click(lambda _b: self._save())
        self.s_msg = w.HTML()
        self.s_ask = self._confirm_row("save")
        self.s_name.observe(lambda _c: self._save_hint(), names="value")
        for ctl in (self.s_name, self.s_path):
            ctl.observe(lambda _c: self._cancel_ask("save"), names="value")
        self._save_hint()
        return w.VBox(
            [
                self._help(
                    "保存在项目内:文件留空则存入 data/raw/scenarios/名称.yml;相对路径从项目"
                    "文件夹算起;项目以外的路径不予写入。",
                    "saved inside the project only",
                ),
                self.s_name,
                self.s_desc,
                self.s_path,
                self._buttons(self.s_button),
                self.s_msg,
                self.s_ask,
            ]
        )

    def _save_hint(self) -> None:
        self.s_path.placeholder = self.lab.project.relative(
            self.lab.default_path(self.s_name.value)
        )

    def _save(self, overwrite: bool = False) -> None:
        self._cancel_ask("save")
        try:
            self.lab.set_name(self.s_name.value, self.s_desc.value)
            path = self.lab.save(self.s_path.value.strip(), overwrite=overwrite)
        except NeedsConfirmation as exc:  # a file already there: replace it?
            self._pending["save"] = (self.s_msg, self._save, (), {"overwrite": True})
            self.s_ask.layout.display = "flex"
            self.s_msg.value = error_html(exc)
            return
        except Exception as exc:  # an input error, a disk error, or a bug: said, no traceback
            self.s_msg.value = error_html(exc)
            return
        self.s_msg.value = saved_html(self.lab, path)
