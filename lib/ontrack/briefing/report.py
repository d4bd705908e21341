"""What the briefing notebook calls: one method per section, each returning displayable HTML.

The notebook stays thin (one call per cell); every number comes from here and the modules it
uses, which read the forecast stage's tables (:mod:`.data`) and never compute a forecast.
``open_briefing`` checks the parameters, reads the tables and sets the CJK font.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from . import charts, narrative, tables
from .data import BriefingData, code_label, load_briefing_data
from .params import validate_params
from .tables import Html, esc, pending_targets


@dataclass
class Briefing:
    """One region's briefing over a plan's :class:`BriefingData`."""

    data: BriefingData
    region: str
    lang: str = "zh"
    params: dict | None = None

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
    def is_township(self) -> bool:
        return self.region != self.parent

    def _t(self, zh: str, en: str) -> str:
        return zh if self.lang == "zh" else en

    # -- sections
    def cover(self) -> Html:
        """Title, plan, as-of month, the 示例数据 banner and the headline paragraph."""
        d = self.data
        name = self.reg.region_name(self.region, self.lang)
        plan_name = self.reg.plan_name(d.plan)
        title = self._t(
            f"{name}大孵化器集群建设目标进展简报", f"{name}: incubator-cluster targets briefing"
        )
        sub = self._t(
            f"数据截至{narrative.month_label(d.as_of)} · 依据《{plan_name}》",
            f"Data as of {narrative.month_label(d.as_of, 'en')} · plan: {plan_name}",
        )
        if d.scenario:
            sc = d.scenario_meta.get("name") or Path(d.scenario).stem
            sub += self._t(f" · 情景：{sc}", f" · scenario: {sc}")
        banner = ""
        if d.illustrative:
            banner = (
                '<div class="demo-banner"><b>示例数据</b> '
                + self._t(
                    "本简报中的进度数据为演示用的示例数据，不是真实统计，请勿引用。",
                    "(illustrative): made-up progress figures for demonstration; do not cite.",
                )
                + "</div>"
            )
        pending = len(pending_targets(d.attainment, d.targets, self.region, d.as_of))
        head = narrative.headline(
            d.attainment, self.region, d.as_of, self.lang, self.reg, pending=pending
        )
        return Html(
            f'<header class="cover"><h1>{esc(title)}</h1><p class="sub">{esc(sub)}</p>{banner}'
            f'<p class="headline">{esc(head)}</p></header>'
        )

    def targets_table(self) -> Html:
        """Every target of the region: actual to date, projection, probability, pace needed and
        RAG; those without progress data say so."""
        d = self.data
        return tables.targets_table(
            d.attainment, self.region, d.as_of, self.lang, d.targets, self.reg
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
        )

    def heatmap(self) -> Html:
        """Townships × indicators by probability (the region itself marked)."""
        d = self.data
        return charts.heatmap(
            d.attainment, self.region, self.parent, d.as_of, self.lang, d.illustrative, self.reg
        )

    def verdicts(self) -> Html:
        """Simple verdicts beside the probabilities where they disagree."""
        d = self.data
        return tables.verdicts_table(d.attainment, self.region, d.as_of, self.lang, self.reg)

    def scenario(self) -> Html:
        d = self.data
        return tables.scenario_section(
            d.scenario, d.scenario_meta, d.n_sims, d.seed, self.lang, self.reg
        )

    def _regions(self) -> list[str]:
        if self.is_township:
            return [self.region]
        return [self.region, *sorted(set(self.data.attainment["region_id"]) - {self.region})]

    def quality(self) -> Html:
        d = self.data
        return tables.quality_section(d.quality, d.cleaning, self._regions(), self.lang, d.plan)

    def assumptions(self) -> Html:
        d = self.data
        return tables.assumptions_section(
            d.attainment, self._regions(), d.as_of, self.lang, d.illustrative, self.reg
        )

    def footer(self) -> Html:
        d = self.data
        params = dict(self.params or {})
        params["as_of"] = d.as_of
        if params.get("scenario") and params.get("project"):
            # the scenario as the project names it (not this machine's absolute path)
            with contextlib.suppress(ValueError):
                rel = Path(params["scenario"]).relative_to(params["project"])
                params["scenario"] = rel.as_posix()
        return tables.footer_section(
            d.plan,
            self.region,
            d.as_of,
            d.targets,
            params,
            code_label(d.code),
            self.lang,
            reg=self.reg,
        )


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
    """Check the parameters, read the plan's tables (the forecast folder of these parameters
    must exist: ``ontrack render`` makes it), set the CJK font."""
    from ..fonts import use_cjk_font
    from .params import params_project

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
    params = validate_params(raw, proj)
    use_cjk_font()
    data = load_briefing_data(
        proj,
        params["plan"],
        params["region"],
        params["as_of"],
        params["scenario"],
        params["n_sims"],
        params["seed"],
    )
    return Briefing(data=data, region=params["region"], lang=lang, params=params)
