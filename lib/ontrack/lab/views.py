"""What the lab shows, in the briefing's words: the probability table, the chart, the messages.

Pure functions and one chart object, no widgets: the widgets (:mod:`.widgets`) put these into
controls, and :func:`view` puts them on a page for a notebook run without widgets. The
words and colours are the briefing's (完成概率, 状态 绿/黄/红 with its chip colours, periods as
"2026年" / "2025—2027年累计"), numbers go through the briefing's formatter, and every amount
carries its unit. Chinese first, English in small print.
"""

from __future__ import annotations

import base64
import functools
import html
import io
import os
import shlex
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..briefing.fmt import fmt_num, fmt_pct
from ..briefing.narrative import RAG_MEANING_ZH, RAG_ZH, period_label
from ..briefing.params import PARAMS
from ..errors import InputError, InputErrors, OntrackError
from .state import ChartData, LabInputError, NeedsConfirmation

if TYPE_CHECKING:
    from .core import Lab

#: the lab's look (class names start with otl-, so nothing else on the page is touched)
CSS = """
.otl { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC",
  sans-serif; font-size: 13px; color: #1f2328; line-height: 1.4; }
.otl small, .otl-en { color: #6e7781; font-size: 11px; font-weight: normal; }
.otl-head { font-size: 15px; font-weight: 600; margin: 0 0 2px 0; }
.otl-head small { margin-left: 6px; }
.otl-badge { display: inline-block; background: #fff4d6; border: 1px solid #d9a400; color: #7a4b00;
  border-radius: 3px; padding: 0 4px; font-size: 11px; font-weight: normal; margin-left: 6px; }
.otl-scroll { max-height: 330px; overflow-y: auto; border: 1px solid #d8dee4; border-radius: 4px; }
.otl-table { border-collapse: collapse; width: 100%; font-size: 12.5px; }
.otl-table th { position: sticky; top: 0; z-index: 1; background: #f3f5f7; font-weight: 600;
  text-align: right; padding: 3px 6px; border-bottom: 1px solid #c9d1d9; line-height: 1.15;
  white-space: nowrap; vertical-align: bottom; }
.otl-table td { padding: 2px 6px; border-bottom: 1px solid #eef0f2; text-align: right;
  white-space: nowrap; line-height: 1.35; }
.otl-table th.l, .otl-table td.l { text-align: left; }
.otl-table td.ind { white-space: normal; min-width: 7em; }
.otl-table tr.grp td { background: #fafbfc; font-weight: 600; color: #24292f; padding-top: 4px;
  border-bottom: 1px solid #d8dee4; }
.otl-table tr.chg td { background: #eaf2fd; }
.otl-table tr.chg td:first-child { box-shadow: inset 3px 0 0 #1f5fbf; }
.otl-table tr.closed td { color: #8c959f; }
.otl-table tr.focus td { border-top: 1px solid #57606a; border-bottom: 1px solid #57606a; }
.otl-table s { color: #8c959f; }
.otl-p { font-weight: 600; }
.otl-up { color: #1f5fbf; font-weight: 600; }
.otl-down { color: #9a3d00; font-weight: 600; }
.otl-tag { display: inline-block; font-size: 10.5px; padding: 0 3px; border-radius: 3px;
  background: #eef0f2; color: #57606a; margin-left: 3px; }
.otl-rag { display: inline-block; border-radius: 3px; padding: 0 5px; font-size: 11.5px; }
.otl-rag-green { background: #d4efdf; color: #145a32; }
.otl-rag-amber { background: #fdebd0; color: #7e5109; }
.otl-rag-red { background: #f5b7b1; color: #78281f; }
.otl-rag-was { opacity: .75; font-size: 10.5px; padding: 0 3px; }
.otl-msg { margin: 4px 0; padding: 3px 6px; border-radius: 4px; }
.otl-msg-error { color: #9f1c1c; background: #fdecec; border-left: 3px solid #c62828; }
.otl-msg-ask { color: #6b4300; background: #fff4d6; border-left: 3px solid #d9a400; }
.otl-msg-ok { color: #155d27; background: #e9f6ec; border-left: 3px solid #2e7d32; }
.otl-msg-info { color: #424a53; }
.otl-cmd { display: block; white-space: pre-wrap; overflow-wrap: anywhere; background: #f3f5f7;
  border: 1px solid #d8dee4; border-radius: 4px; padding: 4px 6px; margin-top: 3px;
  font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 11.5px;
  user-select: all; }
.otl-summary { margin: 2px 0 4px 0; }
.otl-help { color: #57606a; font-size: 12px; margin: 2px 0 4px 0; }
.otl-list { margin: 2px 0; padding-left: 18px; font-size: 12px; }
.otl-img { width: 100%; height: auto; display: block; }
"""


def esc(x: Any) -> str:
    return html.escape("" if x is None else str(x))


def en(text: str) -> str:
    """English in small print beside the Chinese."""
    return f' <small class="otl-en">{esc(text)}</small>' if text else ""


class Page(str):
    """A piece of HTML that Jupyter displays as HTML."""

    def _repr_html_(self) -> str:
        return str(self)


# --------------------------------------------------------------------------- messages


def message_html(kind: str, zh: str, en_text: str = "", extra_html: str = "") -> str:
    """One message: ``kind`` error (red), ask (amber: confirm or change), ok (green), info."""
    if not zh:
        return ""
    return f'<div class="otl otl-msg otl-msg-{kind}">{esc(zh)}{en(en_text)}{extra_html}</div>'


def explain(exc: BaseException) -> tuple[str, str, str]:
    """(kind, Chinese, English) of an error for the person at the controls; never a traceback."""
    if isinstance(exc, NeedsConfirmation):
        return "ask", f"{_where_zh(exc)}:{exc.zh}", exc.en
    if isinstance(exc, LabInputError):
        return "error", f"{_where_zh(exc)}:{exc.zh}", exc.en
    if isinstance(exc, InputErrors):
        parts = [explain(e) for e in exc.errors]
        return "error", ";".join(p[1] for p in parts), "; ".join(p[2] for p in parts if p[2])
    if isinstance(exc, InputError):
        return "error", f"输入有误:{exc.where}", str(exc)
    if isinstance(exc, OntrackError):
        return "error", "无法完成", str(exc)
    return (
        "error",
        "内部错误,请报告",
        f"internal error (please report): {type(exc).__name__}: {exc}",
    )


def _where_zh(exc: InputError) -> str:
    return exc.where.split(" ", 1)[0]


def error_html(exc: BaseException) -> str:
    kind, zh, en_text = explain(exc)
    return message_html(kind, zh, en_text)


# --------------------------------------------------------------------------- the table


def rag_chip(rag: Any, small: bool = False) -> str:
    if not isinstance(rag, str) or rag not in RAG_ZH:
        return "—"
    text = RAG_ZH[rag] if small else RAG_MEANING_ZH[rag]
    cls = f"otl-rag otl-rag-{rag}" + (" otl-rag-was" if small else "")
    return f'<span class="{cls}">{esc(text)}</span>'


def delta_html(change: float, changed: bool) -> str:
    """The change of 完成概率 in percentage points: ▲12 / ▼5 / ±0 (changed, but < 0.5 point)."""
    if not changed or change != change:
        return ""
    pts = round(change * 100)
    if pts > 0:
        return f'<span class="otl-up">▲{pts}</span>'
    if pts < 0:
        return f'<span class="otl-down">▼{-pts}</span>'
    return '<span class="otl-en">±0</span>'


def select_rows(
    results: pd.DataFrame,
    region: str = "*",
    year: int | str = "*",
    changed_only: bool = False,
) -> pd.DataFrame:
    """The rows a table shows: one region (or "*"), targets whose period includes ``year`` (or
    "*": every period, the closed ones too), only changed rows if asked."""
    r = results
    if region != "*":
        r = r[r["region_id"] == region]
    if year != "*":
        y = int(year)
        r = r[(r["year_start"] <= y) & (r["year_end"] >= y)]
    if changed_only:
        r = r[r["changed"]]
    return r


def period_text(year_start: int, year_end: int, level: str = "baseline") -> str:
    """The briefing's period words, compact for the lab's narrow table: '2026年',
    '2025—27年累计' (+ a 高线 tag for the stretch level)."""
    if year_start == year_end:
        text = esc(period_label(year_start, year_end))
    else:
        text = esc(f"{year_start}—{str(year_end)[-2:]}年累计")
    return text + ('<span class="otl-tag">高线</span>' if level == "stretch" else "")


def results_table_html(
    results: pd.DataFrame,
    lab: Lab,
    region: str = "*",
    year: int | str = "*",
    changed_only: bool = False,
    focus: tuple[str, str, int] | None = None,
) -> str:
    """The probability table: one group per indicator (its unit in the group's title), a row
    per target period with baseline and scenario 完成概率, the change (Δ, percentage points) and
    状态. A changed row is shaded and marked at its left edge; ``focus`` (region, indicator,
    year): the row the chart shows, outlined."""
    rows = select_rows(results, region, year, changed_only)
    as_of = lab.as_of
    head = [
        ("l", "期间", "period"),
        ("", "目标", "target"),
        ("", f"已完成<br><small>截至{int(as_of[5:7])}月</small>", "actual to date"),
        ("", "预计期末<br><small>情景中位数</small>", "projected (scenario median)"),
        ("", "完成概率<br><small>基线</small>", "P(meet), baseline"),
        ("", "完成概率<br><small>情景</small>", "P(meet), scenario"),
        ("", "Δ<br><small>百分点</small>", "change, percentage points"),
        ("l", "状态<br><small>情景</small>", "status, scenario"),
    ]
    ths = "".join(f'<th class="{c}" title="{esc(t)}">{zh}</th>' for c, zh, t in head)
    body = []
    group = None
    for r in rows.itertuples(index=False):
        if (r.region_id, r.indicator_id) != group:
            group = (r.region_id, r.indicator_id)
            unit = lab.scope.unit(r.indicator_id)
            where = f"{esc(lab.reg.region_name(r.region_id))} · " if region == "*" else ""
            body.append(
                f'<tr class="grp"><td class="l" colspan="{len(head)}">{where}{esc(r.indicator)}'
                + (f"<small>（{esc(unit)}）</small>" if unit else "")
                + "</td></tr>"
            )
        is_focus = (
            focus is not None
            and (r.region_id, r.indicator_id) == focus[:2]
            and r.year_start == r.year_end == focus[2]
            and r.level == "baseline"
        )
        cls = " ".join(
            c for c, on in (("chg", r.changed), ("closed", r.closed), ("focus", is_focus)) if on
        )
        tb, ts = r.target_baseline, r.target_scenario
        target = esc(fmt_num(ts))
        if abs(ts - tb) > 1e-9:
            target = f"<s>{esc(fmt_num(tb))}</s> {target}"
        proj = (
            f'<span title="80%区间 {esc(fmt_num(r.proj_p10_scenario))}–'
            f'{esc(fmt_num(r.proj_p90_scenario))}">{esc(fmt_num(r.proj_p50_scenario))}</span>'
        )
        if r.closed:
            met = r.actual_to_date >= ts - 1e-9
            status = f'<span class="otl-tag">已结束 · {"完成" if met else "未完成"}</span>'
        else:
            status = rag_chip(r.rag_scenario)
            if r.rag_scenario != r.rag_baseline:
                status = rag_chip(r.rag_baseline, small=True) + "→" + status
        cells = [
            f'<td class="l">{period_text(int(r.year_start), int(r.year_end), r.level)}</td>',
            f"<td>{target}</td>",
            f"<td>{esc(fmt_num(r.actual_to_date))}</td>",
            f"<td>{proj}</td>",
            f"<td>{esc(fmt_pct(r.p_meet_baseline, prob=True))}</td>",
            f'<td class="otl-p">{esc(fmt_pct(r.p_meet_scenario, prob=True))}</td>',
            f"<td>{delta_html(r.p_meet_change, bool(r.changed))}</td>",
            f'<td class="l">{status}</td>',
        ]
        key = f"{r.region_id}|{r.indicator_id}|{r.year_start}|{r.year_end}|{r.level}"
        body.append(f'<tr class="{cls}" data-key="{esc(key)}">' + "".join(cells) + "</tr>")
    if not body:
        what = "情景没有改变这里的目标" if changed_only else "没有目标"
        body.append(f'<tr><td class="l" colspan="{len(head)}">{what}</td></tr>')
    return (
        f'<div class="otl otl-scroll"><table class="otl-table" data-version="{lab.version}">'
        f"<thead><tr>{ths}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def summary_html(results: pd.DataFrame, lab: Lab, top: int = 3) -> str:
    """One line over the table: what the scenario changes, biggest moves first (all regions)."""
    if lab.is_empty():
        return (
            '<div class="otl otl-summary">情景为空,与基线相同。左侧调整节奏、项目或目标。'
            f"{en('Empty scenario = the baseline. Change a pace, a project or a target.')}</div>"
        )
    moved = results[results["changed"] & ~results["closed"]]
    if moved.empty:
        return (
            '<div class="otl otl-summary">情景没有改变任何未结束目标的数字。'
            f"{en('The scenario changes no open target.')}</div>"
        )
    big = moved.reindex(moved["p_meet_change"].abs().sort_values(ascending=False).index)
    items = []
    for r in big.head(top).itertuples(index=False):
        items.append(
            f"{esc(lab.reg.region_name(r.region_id))}{esc(r.indicator)}"
            f"{esc(period_label(int(r.year_start), int(r.year_end)))}"
            f"{'(高线)' if r.level == 'stretch' else ''} "
            f"{esc(fmt_pct(r.p_meet_baseline, prob=True))}→"
            f"<b>{esc(fmt_pct(r.p_meet_scenario, prob=True))}</b>"
        )
    more = f" 等{len(moved)}项" if len(moved) > top else ""
    return (
        f'<div class="otl otl-summary">情景改变了<b>{len(moved)}</b>个目标:'
        f"{';'.join(items)}{more}{en(f'{len(moved)} target(s) changed')}</div>"
    )


def header_html(lab: Lab) -> str:
    plan = lab.reg.plans.get(lab.plan)
    plan_name = plan.name_zh if plan else lab.plan
    badge = '<span class="otl-badge">示例数据</span>' if lab.illustrative else ""
    return (
        f'<div class="otl otl-head">情景实验室 · {esc(lab.reg.region_name(lab.region))}'
        f"{badge}<small>{esc(plan_name)} · 数据截至{esc(lab.scope.as_of_zh())} · "
        f"{lab.n_sims:,}次模拟</small></div>"
    )


# --------------------------------------------------------------------------- the chart


@functools.lru_cache(maxsize=1)
def _cjk() -> list[str]:
    from .. import fonts

    try:
        return [fonts.cjk_family()]
    except OntrackError:
        return []


@contextmanager
def cjk_rc() -> Iterator[None]:
    """Matplotlib settings for Chinese labels, only inside the block (no global side effects)."""
    import matplotlib as mpl

    # Concrete family names (not "sans-serif"): text keeps them after the block, at draw time.
    with mpl.rc_context({"font.family": [*_cjk(), "DejaVu Sans"], "axes.unicode_minus": False}):
        yield


class ChartView:
    """One trajectory chart, drawn again into the same figure for every change (a figure is
    made once: making one costs more than drawing it)."""

    def __init__(self, width: float = 7.6, height: float = 2.6, dpi: int = 96, pyplot=False):
        if pyplot:  # a figure Jupyter's inline backend shows as a cell's value
            import matplotlib.pyplot as plt

            self.fig = plt.figure(figsize=(width, height), dpi=dpi)
            plt.close(self.fig)
        else:
            from matplotlib.backends.backend_agg import FigureCanvasAgg
            from matplotlib.figure import Figure

            self.fig = Figure(figsize=(width, height), dpi=dpi)
            FigureCanvasAgg(self.fig)
        self.fig.subplots_adjust(left=0.08, right=0.985, top=0.87, bottom=0.13)
        self.ax = self.fig.add_subplot()

    def draw(self, d: ChartData):
        """Draw ``d`` (replacing what was drawn); returns the figure."""
        ax = self.ax
        with cjk_rc():
            ax.clear()
            base, scen = d.base, d.scen
            x = list(range(len(base)))
            ax.fill_between(
                x, base["p10"], base["p90"], color="#9e9e9e", alpha=0.3, lw=0, label="基线 80%区间"
            )
            ax.plot(x, base["p50"], color="#616161", lw=1.4, ls="--", label="基线 中位数")
            if scen is not None:
                ax.fill_between(
                    x,
                    scen["p10"],
                    scen["p90"],
                    color="#1f5fbf",
                    alpha=0.22,
                    lw=0,
                    label="情景 80%区间",
                )
                ax.plot(x, scen["p50"], color="#1f5fbf", lw=2, label="情景 中位数")
            if "actual" in base.columns and base["actual"].notna().any():
                ax.plot(x, base["actual"], color="black", lw=2, marker="o", ms=3, label="实际累计")
            tgt = float(base["target"].iloc[0]) if "target" in base.columns else None
            tgt_s = float(scen["target"].iloc[0]) if scen is not None else tgt
            if tgt is not None:
                ax.axhline(tgt, color="#c0392b", lw=1.2, label=f"目标 {fmt_num(tgt)}")
            if tgt_s is not None and tgt is not None and abs(tgt_s - tgt) > 1e-9:
                ax.axhline(
                    tgt_s, color="#c0392b", lw=1.2, ls=":", label=f"情景目标 {fmt_num(tgt_s)}"
                )
            ax.set_xticks(x)
            ax.set_xticklabels([f"{int(str(m)[5:7])}月" for m in base["month"]], fontsize=8)
            ax.tick_params(axis="y", labelsize=8)
            ax.set_xlim(-0.3, len(x) - 0.7)
            ax.set_ylabel(f"累计({d.unit})" if d.unit else "累计", fontsize=8.5)
            ax.grid(alpha=0.3)
            ax.set_title(f"{d.region} · {d.indicator} · {d.year}年", loc="left", fontsize=10)
            ax.set_title(self._p_text(d), loc="right", fontsize=9.5)
            ax.legend(fontsize=7.5, loc="upper left", ncol=2, framealpha=0.85)
        return self.fig

    @staticmethod
    def _p_text(d: ChartData) -> str:
        if d.p_meet is None:
            return ""
        pb, ps = d.p_meet
        text = f"完成概率 基线 {fmt_pct(pb, prob=True)}"
        if d.scen is not None:
            text += f" → 情景 {fmt_pct(ps, prob=True)}"
        elif not d.scenario_empty:
            text += "(情景未涉及)"
        return text

    def png(self) -> bytes:
        """The figure as PNG bytes (drawn with the CJK font)."""
        buf = io.BytesIO()
        with cjk_rc():
            # fast compression: a third less time than the default, the file hardly larger
            self.fig.savefig(buf, format="png", dpi=self.fig.dpi, pil_kwargs={"compress_level": 1})
        return buf.getvalue()


# --------------------------------------------------------------------------- answers


def solver_message(r: dict[str, Any], lab: Lab) -> tuple[str, str, str]:
    """(kind, Chinese, English) of a :meth:`Lab.required_pace` answer; right also for targets
    already likely met (then no speed-up is needed: it says how far the pace could fall)."""
    reg = lab.reg
    unit = lab.scope.unit(r["indicator"])
    who = f"{reg.region_name(r['region'])}{reg.indicator_name(r['indicator'])}{r['year']}年"
    tgt = f"{fmt_num(r['target'])}{unit}"
    now, want = fmt_pct(r["p_meet_now"], prob=True), fmt_pct(r["p_wanted"])
    f = r["factor"]
    if f is None:
        return (
            "error",
            f"{who}(目标{tgt}):即使自{r['from']}起节奏提高到原来的5倍,完成概率也只有"
            f"{fmt_pct(r['p_meet_at_factor'], prob=True)}。",
            f"even 5× the usual pace from {r['from']} gives only "
            f"{fmt_pct(r['p_meet_at_factor'], prob=True)}",
        )
    at = fmt_pct(r["p_meet_at_factor"], prob=True)
    if r["p_meet_now"] >= r["p_wanted"]:
        if f == 0:
            slow = f"即使自{r['from']}起完全停滞,完成概率仍有{at}。"
        else:
            slow = f"节奏降到原来的{f:.2f}倍(自{r['from']}起)仍有{at}。"
        return (
            "ok",
            f"{who}(目标{tgt})目前完成概率{now},已达{want},无需加快;{slow}",
            f"already at {now} ≥ {want}: no speed-up needed (could slow to {f:.2f}×, keeping {at})",
        )
    return (
        "ok",
        f"{who}(目标{tgt})目前完成概率{now};要达到{want},自{r['from']}起节奏需为原来的"
        f"{f:.2f}倍(模拟得{at})。",
        f"now {now}; {f:.2f}× the usual pace from {r['from']} gives {at} (wanted {want})",
    )


def ontrack_command() -> str:
    """How to call the ``ontrack`` that runs this lab: its name when that is the one on PATH,
    else its full path (after `make briefing` it is .venv/bin/ontrack, not on PATH)."""
    here = Path(sys.executable).with_name("ontrack")
    found = shutil.which("ontrack")
    if found and here.exists() and Path(found).resolve() == here.resolve():
        return "ontrack"
    return str(here) if here.exists() else "ontrack"


def render_command(lab: Lab, path: str | os.PathLike | None = None) -> str:
    """The exact command that renders the briefing of the lab's region with the scenario saved
    at ``path`` (default: where the lab last saved it, else ``lab.default_path()``), with the
    lab's month, draws and seed, so that the briefing shows the lab's numbers. The path is
    written relative to the project (the command works from any folder, ``--project`` names
    it), the program is the ``ontrack`` that runs the lab (:func:`ontrack_command`)."""
    path = lab.model.in_project(Path(path) if path else (lab.saved_path or lab.default_path()))
    parts = [ontrack_command(), "--project", str(lab.project.root), "render", "--plan", lab.plan]
    parts += ["--region", lab.region, "--as-of", lab.as_of]
    parts += ["--scenario", lab.project.relative(path)]
    if lab.n_sims != PARAMS["n_sims"].default:
        parts += ["--sims", str(lab.n_sims)]
    if lab.seed != 0:
        parts += ["--seed", str(lab.seed)]
    return " ".join(shlex.quote(p) for p in parts)


def saved_html(lab: Lab, path: Path) -> str:
    rel = lab.project.relative(path)
    cmd = render_command(lab, path)
    return message_html(
        "ok",
        f"已保存:{rel}。用此情景生成简报(在任意文件夹运行):",
        "saved; render the briefing with it:",
        f'<code class="otl-cmd">{esc(cmd)}</code>',
    )


# --------------------------------------------------------------------------- a page


def trajectory_figure(
    lab: Lab, indicator: str | None = None, year: int | None = None, region: str | None = None
):
    """Running total vs target for one indicator and year: baseline fan vs scenario fan (a
    matplotlib Figure). Defaults: the first indicator, the first open year, the lab's region."""
    return ChartView().draw(lab.chart_data(indicator, year, region))


def view(
    lab: Lab, region: str | None = None, year: int | None = None, indicator: str | None = None
) -> Page:
    """The lab's results as a page (no widgets): the probability table and the chart, as the
    widgets show them; what a papermill run of the lab notebook displays."""
    s = lab.scope
    region = s.check_region(region or s.region, "地区 region")
    year = int(year) if year else (s.open_years[0] if s.open_years else max(s.years))
    indicator = s.check_indicator(indicator or s.indicators[0], "指标 indicator")
    results = lab.results()
    chart = ChartView()
    chart.draw(lab.chart_data(indicator, year, region))
    png = base64.b64encode(chart.png()).decode("ascii")
    return Page(
        f"<style>{CSS}</style>"
        + header_html(lab)
        + summary_html(results, lab)
        + results_table_html(results, lab, region, year, focus=(region, indicator, year))
        + f'<img class="otl-img" alt="走势 trajectory" src="data:image/png;base64,{png}">'
    )


__all__ = [
    "CSS",
    "ChartData",
    "ChartView",
    "Page",
    "error_html",
    "explain",
    "header_html",
    "message_html",
    "render_command",
    "results_table_html",
    "saved_html",
    "select_rows",
    "solver_message",
    "summary_html",
    "trajectory_figure",
    "view",
]
