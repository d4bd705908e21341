"""What the briefing notebook calls: one method per section, each returning displayable HTML.

The notebook stays thin (one call per cell); every number comes from here and the modules it
uses. ``open_briefing`` checks the parameters, loads the run's data and sets the CJK font.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import registry
from . import charts, narrative, tables
from .data import BriefingData, code_label, load_briefing_data
from .params import validate_params
from .tables import Html, esc


@dataclass
class Briefing:
    """One region's briefing over a plan's :class:`BriefingData`."""

    data: BriefingData
    region: str
    lang: str = "zh"
    params: dict | None = None

    # -- helpers
    @property
    def parent(self) -> str:
        """The plan's region (the county/district whose townships the heat map shows)."""
        p = registry.PLANS.get(self.data.plan)
        if p:
            return p.region_id
        r = registry.REGIONS.get(self.region)
        return r.parent if r and r.parent else self.region

    @property
    def is_township(self) -> bool:
        return self.region != self.parent

    def _t(self, zh: str, en: str) -> str:
        return zh if self.lang == "zh" else en

    # -- sections
    def cover(self) -> Html:
        """Title, plan, as-of month, the 示例数据 banner and the headline paragraph."""
        d = self.data
        name = registry.region_name(self.region, self.lang)
        p = registry.PLANS.get(d.plan)
        plan_name = p.name_zh if p else d.plan
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
        head = narrative.headline(d.attainment, self.region, d.as_of, self.lang)
        return Html(
            f'<header class="cover"><h1>{esc(title)}</h1><p class="sub">{esc(sub)}</p>{banner}'
            f'<p class="headline">{esc(head)}</p></header>'
        )

    def targets_table(self) -> Html:
        """Targets with actual to date, projection, probability, pace needed and RAG."""
        d = self.data
        return tables.targets_table(d.attainment, self.region, d.as_of, self.lang, d.targets)

    def charts(self) -> Html:
        """Running total vs target and 高线 with the projection fan, per core indicator."""
        d = self.data
        return charts.indicator_charts(
            d.attainment,
            d.trajectories,
            d.progress,
            self.region,
            d.as_of,
            self.lang,
            d.illustrative,
        )

    def heatmap(self) -> Html:
        """Townships × indicators by probability (the region itself marked)."""
        d = self.data
        return charts.heatmap(
            d.attainment, self.region, self.parent, d.as_of, self.lang, d.illustrative
        )

    def verdicts(self) -> Html:
        """Simple verdicts beside the probabilities where they disagree."""
        d = self.data
        return tables.verdicts_table(d.attainment, self.region, d.as_of, self.lang)

    def scenario(self) -> Html:
        d = self.data
        return tables.scenario_section(d.scenario, d.scenario_meta, d.n_sims, d.seed, self.lang)

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
            d.attainment, self._regions(), d.as_of, self.lang, d.illustrative
        )

    def footer(self) -> Html:
        d = self.data
        params = dict(self.params or {})
        params["as_of"] = d.as_of
        return tables.footer_section(
            d.plan, self.region, d.as_of, d.targets, params, code_label(d.code), self.lang
        )


def open_briefing(
    plan: str,
    region: str,
    as_of: str = "latest",
    scenario: str = "",
    lang: str = "zh",
    n_sims: int = 10_000,
    seed: int = 0,
    cache: str = "",
) -> Briefing:
    """Check the parameters, load the data (from the run cache if given), set the CJK font."""
    from ..fonts import use_cjk_font

    params = dict(
        plan=plan,
        region=region,
        as_of=as_of,
        scenario=scenario,
        lang=lang,
        n_sims=n_sims,
        seed=seed,
    )
    if not cache:
        params = validate_params(params)
        params.pop("cache")
    use_cjk_font()
    data = load_briefing_data(plan, region, as_of, scenario, n_sims, seed, cache=cache)
    return Briefing(data=data, region=region, lang=lang, params=params)
