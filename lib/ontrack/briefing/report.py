"""What the briefing notebook calls: one method per section, each returning displayable HTML.

The notebook stays thin (one call per cell); every number comes from here and the modules it
uses, which read the forecast stage's tables (:mod:`.data`) and never compute a forecast.
``open_briefing`` checks the parameters, reads the tables and sets the CJK font.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..fonts import use_cjk_font
from ..progress.status import reporting_status
from . import changes, charts, facts, html, moves, narrative, notes, reporting, tables
from .changes import pending_targets
from .data import BriefingData, code_label, load_briefing_data
from .html import Html, esc
from .params import Request, params_project
from .status import suspect_series


@dataclass
class Briefing:
    """One region's briefing over a plan's :class:`BriefingData`."""

    data: BriefingData
    region: str
    lang: str = "zh"
    request: Request | None = None

    # -- helpers
    @property
    def reg(self):
        return self.data.reg

    @property
    def parent(self) -> str:
        """The plan's region (the county/district whose townships the heat map shows)."""
        p = self.reg.plans.get(self.data.plan)
        if p:
            return p.region_id
        return self.reg.parent(self.region) or self.region

    @property
    def suspect(self) -> set[tuple[str, str]]:
        """(region, indicator) whose figures hold a value flagged as implausible."""
        return suspect_series(self.data.cleaning, self.reg)

    @property
    def is_township(self) -> bool:
        return self.region != self.parent

    def _t(self, zh: str, en: str) -> str:
        return zh if self.lang == "zh" else en

    def title(self) -> str:
        """The briefing's title, from the plan: '平阳县大孵化器集群建设目标进展简报' for a plan
        named '平阳县大孵化器集群建设三年行动计划(2025—2027年)'; a neutral '目标进展简报' when
        the plan's name says nothing more."""
        name = self.reg.region_name(self.region, self.lang)
        plan = self.reg.plans.get(self.data.plan)
        if self.lang != "zh":
            topic = plan_topic_en((plan.meta or {}).get("name_en", "")) if plan else ""
            return f"{name}: {topic} targets briefing" if topic else f"{name}: targets briefing"
        topic = plan_topic(plan.name_zh if plan else "", self.reg)
        return f"{name}{topic}目标进展简报"

    # -- sections
    def cover(self) -> Html:
        """Title, plan, as-of month, the 示例数据 banner and the headline paragraph (for a
        scenario, first what the scenario changes against the baseline)."""
        d = self.data
        plan_name = self.reg.plan_name(d.plan)
        if self.lang != "zh":
            p = self.reg.plans.get(d.plan)
            plan_name = str(((p.meta or {}).get("name_en") if p else "") or plan_name)
        title = self.title()
        day = self._partial_day()
        sub = self._t(
            f"数据截至{narrative.month_label(d.as_of)}"
            + (f"（{int(d.as_of[5:7])}月部分单位数据截至{day}日）" if day else "")
            + f" · 依据《{plan_name}》",
            f"Data as of {narrative.month_label(d.as_of, 'en')}"
            + (f" (some of it up to day {day})" if day else "")
            + f" · plan: {plan_name}",
        )
        scen = ""
        if d.scenario:
            sc = notes.scenario_name(d.scenario, d.scenario_meta)
            title += self._t("（情景分析）", " (scenario)")
            scen = (
                '<p class="scenario-head">'
                + esc(
                    narrative.scenario_headline(
                        changes.scenario_vs_baseline(d.attainment, d.history, self.region, d.as_of),
                        sc,
                        self.lang,
                        self.reg,
                        marks=True,
                    )
                )
                + "</p>"
            )
        banner = ""
        if d.illustrative:
            banner = (
                '<div class="demo-banner"><b>示例数据</b> '
                + self._t(
                    "本简报中的进度数据为演示用的示例数据，不是真实统计，请勿引用。",
                    "(illustrative data): the progress figures are made up for demonstration; "
                    "do not cite them.",
                )
                + "</div>"
            )
        pending = len(pending_targets(d.attainment, d.targets, self.region, d.as_of))
        head = narrative.headline(
            d.attainment, self.region, d.as_of, self.lang, self.reg, pending=pending,
            suspect=self.suspect, marks=True,
        )  # fmt: skip
        month = self.month_changes()
        moved = narrative.change_sentence(
            month, d.as_of, self.lang, self.reg, self.suspect, marks=True
        )
        if d.scenario:  # the headline speaks of the scenario; the month's change is the baseline's
            head = self._t("在本情景下，", "Under this scenario: ") + head
            if moved:
                moved = self._t("基准预测中，", "In the baseline forecast: ") + moved
        if moved:
            head += ("" if self.lang == "zh" else " ") + moved
        kpis = tables.kpi_strip(
            d.attainment, month, reporting_status(d.progress, d.targets, self.reg, self.region,
                                                  d.as_of),
            self.region, d.as_of, self.lang, self.reg, self.suspect, d.targets,
            scenario=bool(d.scenario),
        )  # fmt: skip
        return Html(
            f'<header class="cover"><h1>{esc(title)}</h1><p class="sub">{esc(sub)}</p>{banner}'
            f'{scen}{kpis}<p class="headline">{esc(head)}</p></header>'
        )

    def facts(self):
        """The page's facts table (:mod:`.facts`): every number, status and direction the page
        states, with the text it shows it as."""
        return facts.page_facts(self.data, self.region, self.lang, self.suspect,
                                self.month_changes())  # fmt: skip

    def _partial_day(self) -> int:
        """The day a report of the as-of month runs to when it stops before the month's end
        (截至12月20日), for the region's own data; 0 when none does."""
        p = self.data.progress
        if "through_day" not in p.columns:
            return 0
        regions = set(self._regions())
        rows = p[(p["month"].astype(str) == self.data.as_of) & p["region_id"].isin(regions)]
        days = rows["through_day"].fillna(0).astype(int)
        return int(days[days > 0].max()) if (days > 0).any() else 0

    def month_changes(self, region: str | None = None):
        """Changes since last month of the region (or ``region``), of the baseline (a scenario
        briefing compares the baseline with last month: the scenario's own effect is in the
        scenario section)."""
        d = self.data
        now = d.attainment
        if d.scenario and not d.history.empty:
            now = d.history[d.history["month"].astype(str) == d.as_of]
        return changes.month_changes(now, d.history, region or self.region, d.as_of, d.previous)

    def changes(self) -> Html:
        """较上月变化: what moved since the forecast as of the previous month, and why (a
        township's reason beside its plan's: the pace they share)."""
        d = self.data
        plan = self.month_changes(self.parent) if self.is_township else None
        return moves.changes_section(
            self.month_changes(), d.as_of, self.lang, self.reg, d.targets, plan_changes=plan,
            scenario=bool(d.scenario),
        )  # fmt: skip

    def probability_over_year(self) -> Html:
        """p_meet of the headline targets by the month the forecast was made."""
        d = self.data
        return charts.probability_chart(
            changes.probability_path(d.history, self.region, d.as_of),
            d.as_of,
            self.lang,
            d.illustrative,
            self.reg,
            note=self._t("（基准情景）", " (baseline)") if d.scenario else "",
        )

    def slipping(self) -> Html:
        """Which townships account for the plan region's expected shortfall, ranked."""
        d = self.data
        return moves.slipping_section(
            changes.shortfalls(d.attainment, self.parent, d.as_of, self.reg),
            self.region,
            self.parent,
            self.lang,
            self.reg,
            scenario=bool(d.scenario),
        )

    def all_targets(self) -> Html:
        """Every target of the region's plan rows across all years."""
        d = self.data
        return html.fold(
            tables.overview_section(
                changes.plan_overview(
                    d.targets, d.attainment, self.region, d.as_of, d.not_forecast
                ),
                d.as_of,
                self.lang,
                self.reg,
                d.targets,
                scenario=bool(d.scenario),
            ),
            "计划全部目标",
            "every target of the plan",
            self.lang,
            "plan",
        )

    def scenario_compare(self) -> Html:
        """Scenario briefings: baseline and scenario side by side (nothing for the baseline)."""
        d = self.data
        if not d.scenario:
            return Html("")
        head = self._t("情景与基准对比", "Scenario against baseline")
        rules_list = notes.scenario_lines(d.scenario_meta, self.lang, self.reg)
        lines = "".join(f"<li>{esc(x)}</li>" for x in rules_list)
        rules = f"<ul class='scenario'>{lines}</ul>" if lines else ""
        return Html(
            f'<h2 class="with-next">{esc(head)}</h2>{rules}'
            + tables.scenario_compare_section(
                changes.scenario_vs_baseline(d.attainment, d.history, self.region, d.as_of),
                self.lang,
                self.reg,
                d.targets,
            )
        )

    def targets_table(self) -> Html:
        """Every target of the region: actual to date, projection, probability, pace needed and
        RAG; those without progress data say so."""
        d = self.data
        return tables.targets_table(
            d.attainment, self.region, d.as_of, self.lang, d.targets, self.reg, d.not_forecast,
            self.suspect, scenario=bool(d.scenario),
        )  # fmt: skip

    def reporting(self) -> Html:
        """报送情况: which offices have sent this month's figures and which not (未报), per
        indicator, with the last month each has reported (for 催报)."""
        d = self.data
        return reporting.reporting_section(
            reporting_status(d.progress, d.targets, self.reg, self.region, d.as_of),
            d.as_of,
            self.lang,
            self.reg,
        )

    def charts(self) -> Html:
        """Running total vs target and 高线 with the projection fan, per indicator."""
        d = self.data
        return charts.indicator_charts(
            d.attainment,
            d.trajectories,
            d.progress,
            self.region,
            d.as_of,
            self.lang,
            d.illustrative,
            self.reg,
            scenario=bool(d.scenario),
        )

    def heatmap(self) -> Html:
        """Townships × indicators by probability (the region itself marked)."""
        d = self.data
        return charts.heatmap(
            d.attainment, self.region, self.parent, d.as_of, self.lang, d.illustrative, self.reg,
            scenario=bool(d.scenario),
        )  # fmt: skip

    def verdicts(self) -> Html:
        """Simple verdicts beside the probabilities where they disagree."""
        d = self.data
        return tables.verdicts_table(d.attainment, self.region, d.as_of, self.lang, self.reg)

    def scenario(self) -> Html:
        d = self.data
        return notes.scenario_section(
            d.scenario, d.scenario_meta, d.n_sims, d.seed, self.lang, self.reg
        )

    def _regions(self) -> list[str]:
        if self.is_township:
            return [self.region]
        return [self.region, *sorted(set(self.data.attainment["region_id"]) - {self.region})]

    def quality(self) -> Html:
        d = self.data
        return html.fold(
            notes.quality_section(d.quality, d.cleaning, self._regions(), self.lang, d.plan),
            "数据质量报告",
            "the data quality report",
            self.lang,
            "quality",
        )

    def assumptions(self) -> Html:
        d = self.data
        return notes.assumptions_section(
            d.attainment, self._regions(), d.as_of, self.lang, d.illustrative, self.reg,
            progress=d.progress, project_years=d.project_complete_years,
            other_plans=d.other_plans_progress,
        )  # fmt: skip

    def footer(self) -> Html:
        d = self.data
        return notes.footer_section(
            d.plan,
            self.region,
            d.as_of,
            d.targets,
            notes.settings_words(d.scenario, d.scenario_meta, d.n_sims, self.lang, self.reg),
            self.lang,
            reg=self.reg,
        )

    def audit(self) -> Html:
        """Audit details (ids, parameters, paths, checksums, code version): shown in the executed
        notebook only; the cell is tagged ``remove`` and never reaches a reader's page."""
        d = self.data
        params = self.request.but(as_of=d.as_of).params() if self.request else {"as_of": d.as_of}
        return notes.audit_section(
            {
                "plan": d.plan,
                "region": self.region,
                "parameters": params,
                "code": code_label(d.code) + f" · fingerprint {d.code.get('fingerprint', '')}",
                "forecast": d.forecast.get("parameters", {}),
                "inputs": d.inputs,
            }
        )


def plan_topic(name_zh: str, reg=None) -> str:
    """What a plan is about, from its Chinese name: the name without the region's name in front,
    the years in brackets and the kind of document at the end ('三年行动计划', '实施方案' ...):
    '平阳县大孵化器集群建设三年行动计划(2025—2027年)' → '大孵化器集群建设'; '' if nothing is
    left."""
    import re

    s = re.sub(r"[（(][^()（）]*\d{4}[^()（）]*[)）]", "", name_zh or "").strip()
    s = re.sub(r"^《|》$", "", s)
    s = re.sub(r"^(浙江省)?(温州市)?", "", s)
    if reg is not None:
        names = sorted(
            {n for r in reg.regions.values() for n in (r.name_zh, r.short_zh) if n},
            key=len,
            reverse=True,
        )
        for n in names:
            if s.startswith(n):
                s = s[len(n) :]
                break
    s = re.sub(r"[\"“「'‘][^\"”」'’]{1,12}[\"”」'’]", "", s)  # a slogan ("34520", "百千万")
    kinds = "行动计划|行动方案|实施方案|工作方案|实施意见|计划|方案"
    s = re.sub(rf"(新?(\d+|[一二三四五])年|新)?({kinds})$", "", s).strip()
    return s


def plan_topic_en(name_en: str) -> str:
    """'Pingyang County incubator-cluster action plan (2025-2027)' → 'incubator-cluster'."""
    import re

    s = re.sub(r"\([^)]*\d{4}[^)]*\)", "", name_en or "").strip()
    s = re.sub(r"[\"“][^\"”]*[\"”]", "", s).replace("  ", " ")  # a slogan ("34520")
    m = re.search(
        r"([A-Za-z][\w -]*?)\s+(?:three-year\s+)?(?:action plan|plan|programme)$", s, re.I
    )
    if not m:
        return ""
    words = m.group(1).split()
    # drop the region's name in front (capitalised words such as 'Pingyang County')
    while words and words[0][:1].isupper():
        words.pop(0)
    return " ".join(words)


def open_briefing(
    plan: str = "",
    region: str = "",
    as_of: str = "latest",
    scenario: str = "",
    lang: str = "zh",
    n_sims: int = 10_000,
    seed: int = 0,
    project: str = "",
) -> Briefing:
    """Check the parameters (the notebook's edge: :meth:`Request.check`), read the plan's
    tables (the forecast folder of these parameters must exist: ``ontrack render`` makes it),
    set the CJK font."""
    raw = dict(
        plan=plan,
        region=region,
        as_of=as_of,
        scenario=scenario,
        lang=lang,
        n_sims=n_sims,
        seed=seed,
        project=project,
    )
    proj = params_project(raw)  # opened once: its registry is read once per briefing
    request = Request.check(raw, proj)
    use_cjk_font()
    r = request
    data = load_briefing_data(proj, r.plan, r.region, r.as_of, r.scenario, r.n_sims, r.seed)
    return Briefing(data=data, region=r.region, lang=r.lang, request=r)
