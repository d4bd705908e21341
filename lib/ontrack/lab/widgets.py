"""The lab's controls (ipywidgets), for JupyterLab and for a page without code (Voilà).

Controls on the left (节奏 pace, 项目 projects, 目标 targets, 需多快 how fast, 保存 save), the
probability table and the chart on the right, so both are in view on a laptop screen. Every
control calls one method of :class:`~ontrack.lab.Lab`; a refused input is said in Chinese (English
in small print) under the control that caused it, never as a traceback; an implausible amount
asks again with a 确认 button. After a change only what moved is redrawn: the table when the
numbers changed (it appears first), the chart when its series changed (drawn into the same
figure). The tabs are :mod:`.tabs`'s, one class each; :class:`LabUI` puts them together.
"""

from __future__ import annotations

import time
from typing import Any

import ipywidgets as w

from .core import Lab
from .state import NeedsConfirmation
from .tabs import PaceTab, ProjectTab, SaveTab, SolverTab, TargetTab, _layout
from .views import (
    CSS,
    ChartView,
    error_html,
    explain,
    header_html,
    message_html,
    results_table_html,
    summary_html,
)

#: the widgets' own look, beside the tables' (views.CSS)
WIDGET_CSS = """
.otl-ui { width: 100%; }
.otl-left { flex: 0 0 330px; width: 330px; margin-right: 10px; }
.otl-right { flex: 1 1 auto; min-width: 0; max-width: 820px; }
.otl-left .widget-dropdown, .otl-left .widget-text, .otl-left .widget-textarea,
.otl-left .widget-slider, .otl-left .widget-select { width: 100%; }
.otl-left .widget-label { min-width: 58px; }
.otl-left .jupyter-button { width: auto; padding: 0 8px; }
.otl-row { gap: 4px; flex-wrap: wrap; }
.otl-unit { color: #57606a; font-size: 12px; }
.otl-left, .otl-right { box-sizing: border-box; }
.otl-left .widget-dropdown > select { min-width: 0; }
/* every control inside the 330 px panel: its label and its box together, never wider */
.otl-left .widget-inline-hbox { max-width: 100%; box-sizing: border-box; }
.otl-left .widget-inline-hbox > :not(.widget-label) { min-width: 0; flex: 1 1 auto; }
.otl-left .widget-textarea textarea { min-width: 0; width: 100%; box-sizing: border-box; }
.otl-left .jupyter-widget-TabPanel, .otl-left .widget-tab {
  margin: 0 !important; width: 100% !important; box-sizing: border-box;
}
.otl-left .widget-inline-hbox { margin-left: 0; margin-right: 0; }
/* a phone (the lab served by Voilà): the controls above, the table and chart below */
@media (max-width: 760px) {
  .otl-body { flex-direction: column !important; }
  .otl-left, .otl-right {
    flex: 1 1 auto !important; width: 100% !important; max-width: 100% !important;
    margin-right: 0 !important;
  }
  .otl-right .widget-hbox { flex-wrap: wrap; }
  .otl-scroll { overflow-x: auto; }
}
"""


class LabUI(PaceTab, ProjectTab, TargetTab, SolverTab, SaveTab):
    """The widgets of one lab; ``LabUI(lab).box`` is what the notebook displays."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self.reg = lab.reg
        s = lab.scope
        self.months = lab.months()
        self.open_years = list(s.open_years)
        self._syncing = False
        self._pending: dict[str, Any] = {}
        self._shown_table: tuple | None = None
        self._shown_chart: tuple | None = None
        self._results: tuple[int, Any] | None = None
        self._solution: dict[str, Any] | None = None
        self.chart = ChartView()
        #: seconds the last table / chart redraw took in the kernel (shown, and read by tests)
        self.last_seconds = {"table": 0.0, "chart": 0.0}

        tabs = w.Tab(
            children=[
                self._pace_tab(),
                self._project_tab(),
                self._target_tab(),
                self._solver_tab(),
                self._save_tab(),
            ],
            titles=("节奏", "项目", "目标", "需多快", "保存"),
            layout=_layout(width="100%"),
        )
        left = w.VBox([tabs], layout=_layout(width="330px", flex="0 0 330px"))
        left.add_class("otl-left")
        right = w.VBox(
            [self._filters(), self._status_line(), self._table_box(), self._chart_box()],
            layout=_layout(flex="1 1 auto", min_width="0", max_width="820px"),
        )
        right.add_class("otl-right")
        body = w.HBox([left, right], layout=_layout(width="100%", align_items="flex-start"))
        body.add_class("otl-body")
        self.box = w.VBox(
            [w.HTML(f"<style>{CSS}{WIDGET_CSS}</style>" + header_html(lab)), body],
            layout=_layout(width="100%"),
        )
        self.box.add_class("otl-ui")
        self._sync_all()
        self.refresh()

    # ------------------------------------------------------------------ options

    def _regions(self, star: bool = False) -> list[tuple[str, str]]:
        opts = [(self.reg.region_name(r), r) for r in self.lab.regions]
        return ([("全部地区", "*")] if star else []) + opts

    def _indicators(self, star: bool = False) -> list[tuple[str, str]]:
        opts = [(self.reg.indicator_name(i), i) for i in self.lab.indicators]
        return ([("全部指标", "*")] if star else []) + opts

    def _first_sub(self) -> str:
        return self.lab.regions[1] if len(self.lab.regions) > 1 else self.lab.region

    def _help(self, zh: str, en: str) -> w.HTML:
        return w.HTML(f'<div class="otl otl-help">{zh} <small>{en}</small></div>')

    def _buttons(self, *buttons: w.Button) -> w.HBox:
        box = w.HBox(list(buttons))
        box.add_class("otl-row")
        return box

    def _confirm_row(self, tab: str) -> w.HBox:
        yes = w.Button(description="确认", icon="check", button_style="warning")
        no = w.Button(description="取消", icon="times")
        yes.on_click(lambda _b: self._confirm(tab))
        no.on_click(lambda _b: self._cancel_ask(tab))
        row = self._buttons(yes, no)
        row.layout.display = "none"
        return row

    # ------------------------------------------------------------------ results

    def _filters(self) -> w.Widget:
        years = [(f"{y}年", y) for y in self.open_years] + [("全部年度", "*")]
        self.r_region = w.Dropdown(
            options=self._regions(star=True),
            value=self.lab.region,
            description="地区",
            style={"description_width": "28px"},
            layout=_layout(width="150px", flex="0 0 150px"),
        )
        self.r_year = w.Dropdown(
            options=years,
            value=years[0][1],
            description="年度",
            style={"description_width": "28px"},
            layout=_layout(width="118px", flex="0 0 118px"),
        )
        self.r_ind = w.Dropdown(
            options=self._indicators(),
            description="图",
            style={"description_width": "16px"},
            layout=_layout(width="auto", flex="1 1 120px", min_width="120px"),
        )
        self.r_changed = w.Checkbox(
            value=False,
            description="只看变化",
            indent=False,
            layout=_layout(width="82px", flex="0 0 82px"),
        )
        for ctl in (self.r_region, self.r_year, self.r_ind, self.r_changed):
            ctl.observe(lambda _c: self.refresh(), names="value")
        box = w.HBox(
            [self.r_region, self.r_year, self.r_ind, self.r_changed],
            layout=_layout(width="100%"),
        )
        box.add_class("otl-filters")
        return box

    def _status_line(self) -> w.Widget:
        self.summary = w.HTML()
        self.status = w.HTML()
        return w.VBox([self.summary])

    def _table_box(self) -> w.Widget:
        self.table = w.HTML()
        return self.table

    def _chart_box(self) -> w.Widget:
        self.img = w.Image(format="png", layout=_layout(width="100%", height="auto"))
        self.c_msg = w.HTML()
        return w.VBox([self.img, self.c_msg, self.status])

    def _chart_target(self) -> tuple[str, str, int]:
        region = self.r_region.value if self.r_region.value != "*" else self.lab.region
        year = self.r_year.value
        if year == "*":
            year = self.open_years[0] if self.open_years else max(self.lab.years)
        return region, self.r_ind.value, int(year)

    def refresh(self) -> None:
        """Redraw what changed: the table first (it is quick), then the chart."""
        self.refresh_table()
        self.refresh_chart()
        last = self.lab.timings[-1] if self.lab.timings else None
        if last:
            t = self.last_seconds
            self.status.value = (
                f'<div class="otl otl-help"><small>上次调整 last change: {last["change"]} · '
                f"{last['recomputed']} · 表 table {t['table']:.2f} s · 图 chart "
                f"{t['chart']:.2f} s</small></div>"
            )

    def refresh_table(self) -> None:
        focus = self._chart_target()
        key = (
            self.lab.version,
            self.r_region.value,
            self.r_year.value,
            self.r_changed.value,
            focus,
        )
        if key == self._shown_table:
            return
        t0 = time.perf_counter()
        if self._results is None or self._results[0] != self.lab.version:
            self._results = (self.lab.version, self.lab.results())
        results = self._results[1]
        self.table.value = results_table_html(
            results, self.lab, self.r_region.value, self.r_year.value, self.r_changed.value, focus
        )
        self.summary.value = summary_html(results, self.lab)
        self._shown_table = key
        self.last_seconds["table"] = time.perf_counter() - t0

    def refresh_chart(self) -> None:
        region, ind, year = self._chart_target()
        try:
            key = self.lab.chart_key(region, ind, year)
            if key == self._shown_chart:
                return
            t0 = time.perf_counter()
            self.chart.draw(self.lab.chart_data(ind, year, region))
            self.img.value = self.chart.png()
        except Exception as exc:  # said under the chart, never a traceback
            self.c_msg.value = error_html(exc)
            return
        self.c_msg.value = ""
        self._shown_chart = key
        self.last_seconds["chart"] = time.perf_counter() - t0

    # ------------------------------------------------------------------ plumbing

    def _quietly(self, widget: w.Widget, name: str, value: Any) -> None:
        """Set a control without it acting (syncing the controls with the lab)."""
        self._syncing = True
        try:
            setattr(widget, name, value)
        finally:
            self._syncing = False

    def _sync_all(self) -> None:
        self._sync_pace()
        self._sync_projects()
        self._sync_targets()

    def _call(self, msg: w.HTML, fn, *args: Any, ask: str | None = None, **kwargs: Any) -> bool:
        """Run one lab method; on success redraw; else say why under the control. An
        implausible amount (:class:`NeedsConfirmation`) asks again with a 确认 button."""
        if ask:
            self._cancel_ask(ask)
        try:
            fn(*args, **kwargs)
        except NeedsConfirmation as exc:
            if ask:
                self._pending[ask] = (msg, fn, args, kwargs)
                self._ask_row(ask).layout.display = "flex"
            msg.value = error_html(exc)
            return False
        except Exception as exc:  # an input error, or a bug: said, never a traceback
            msg.value = error_html(exc)
            return False
        msg.value = ""
        self._sync_all()
        self.refresh()
        return True

    def _ask_row(self, tab: str) -> w.HBox:
        return {"project": self.p_ask, "target": self.t_ask, "save": self.s_ask}[tab]

    def _confirm(self, tab: str) -> None:
        pending = self._pending.pop(tab, None)
        self._ask_row(tab).layout.display = "none"
        if pending is None:
            return
        msg, fn, args, kwargs = pending
        if tab == "save":
            fn(*args, **kwargs)
            return
        if self._call(msg, fn, *args, **{**kwargs, "confirm": True}) and fn == self.lab.add_project:
            self._select_last_project()

    def _cancel_ask(self, tab: str) -> None:
        if self._syncing or tab not in self._pending:
            return
        msg = self._pending.pop(tab)[0]
        self._ask_row(tab).layout.display = "none"
        msg.value = ""


def widget(lab: Lab) -> w.Widget:
    """The whole lab for ``lab`` as one widget (display it as a cell's last expression)."""
    ui = LabUI(lab)
    ui.box.ui = ui  # keep the controller reachable (tests, power users)
    return ui.box


def app(
    project: str = "",
    plan: str = "",
    region: str = "",
    as_of: str = "latest",
    n_sims: int = 10_000,
    seed: int = 0,
) -> w.Widget:
    """The lab as a page without code (Voilà): a lab on the project found from the working
    folder (or ``project``), or, if it cannot open, what is wrong, in words."""
    try:
        lab = Lab(plan, region, as_of, n_sims=n_sims, seed=seed, project=project or None)
    except Exception as exc:  # no project, no data, a bad parameter: said, never a traceback
        kind, zh, en = explain(exc)
        return w.HTML(f"<style>{CSS}</style>" + message_html(kind, f"实验室无法打开:{zh}", en))
    return widget(lab)


__all__ = ["LabUI", "app", "widget"]
