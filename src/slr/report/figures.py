"""The report's figures, drawn from the run's tables (matplotlib, one style).

Each ``plot_``-style function takes tables and returns a ``matplotlib.figure.Figure``;
:func:`write_figures` saves them with :func:`slr.tables.io.save_figure` as SVG and PNG without
timestamps, so reruns write identical files.
"""

from __future__ import annotations

import math
import textwrap
from collections import Counter
from itertools import combinations

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch, Patch

from slr.layout import RunPaths
from slr.protocol import Gazetteer, Protocol
from slr.tables.decisions import included_ids
from slr.tables.io import save_figure

GREY = "#8d99ae"
STYLE = {
    "font.size": 9,
    "font.family": "DejaVu Sans",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "figure.dpi": 100,
    "svg.hashsalt": "slr",
    "svg.fonttype": "none",  # text stays text: searchable, accessible
}


def _figure(w: float, h: float) -> Figure:
    """A figure in the report's style (matplotlib's object interface: no pyplot, no backend)."""
    matplotlib.rcParams.update(STYLE)
    return Figure(figsize=(w, h))


def _n(prisma: pd.DataFrame, box: str) -> int:
    hit = prisma.loc[prisma["box"] == box, "n"]
    return int(hit.iloc[0]) if len(hit) else 0


def _sub(prisma: pd.DataFrame, prefix: str) -> list[tuple[str, int]]:
    rows = prisma[prisma["box"].str.startswith(prefix + ":")]
    return [(str(r.label).lstrip("… ").strip(), int(r.n)) for r in rows.itertuples()]


def prisma_flow(prisma: pd.DataFrame):
    """The PRISMA 2020 flow diagram (new review, databases/registers and other sources merged
    in one identification box), every number from ``prisma.csv``."""
    fig = _figure(10, 9.2)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    ax.axis("off")

    def box(x, y, w, h, lines, *, bold_first=True, fill="white"):
        ax.add_patch(
            FancyBboxPatch(
                (x, y),
                w,
                h,
                boxstyle="round,pad=0.3,rounding_size=0.8",
                linewidth=1,
                edgecolor="#333",
                facecolor=fill,
            )
        )
        wrapped = []
        for i, line in enumerate(lines):
            width = int(w * 1.45)
            for j, part in enumerate(textwrap.wrap(line, width) or [""]):
                wrapped.append(("   " if (i and line.startswith("  ")) or j else "") + part.strip())
        ax.text(
            x + 1.2,
            y + h - 1.2,
            "\n".join(wrapped),
            va="top",
            ha="left",
            fontsize=8.2,
            linespacing=1.35,
        )

    def arrow(x0, y0, x1, y1):
        ax.annotate(
            "",
            xy=(x1, y1),
            xytext=(x0, y0),
            arrowprops={"arrowstyle": "-|>", "color": "#333", "lw": 1},
        )

    def band(y, h, label):
        ax.add_patch(
            FancyBboxPatch(
                (1, y), 4, h, boxstyle="round,pad=0.2", facecolor="#cfe3f3", edgecolor="none"
            )
        )
        ax.text(3, y + h / 2, label, rotation=90, va="center", ha="center", fontweight="bold")

    sources = _sub(prisma, "identified")
    id_lines = [f"Records identified (n = {_n(prisma, 'identified')}):"] + [
        f"  {label} (n = {n})" for label, n in sources
    ]
    removed = [
        "Records removed before screening:",
        f"  Duplicate records (n = {_n(prisma, 'duplicates')})",
        f"  Marked ineligible by automation tools (n = {_n(prisma, 'automation_excluded')})",
    ] + [f"  {label} (n = {n})" for label, n in _sub(prisma, "automation_excluded")]
    excl = [f"Records excluded (n = {_n(prisma, 'screening_excluded')})"] + [
        f"  {label} (n = {n})" for label, n in _sub(prisma, "screening_excluded")
    ]
    excl.append(f"Excluded by the stopping rule, not screened (n = {_n(prisma, 'stopped')})")
    if _n(prisma, "awaiting_screening"):
        excl.append(f"Awaiting screening or unsure (n = {_n(prisma, 'awaiting_screening')})")
    rep_excl = [f"Reports excluded (n = {_n(prisma, 'reports_excluded')}):"] + [
        f"  {label} (n = {n})" for label, n in _sub(prisma, "reports_excluded")
    ]
    if _n(prisma, "awaiting_eligibility"):
        rep_excl.append(f"Awaiting assessment (n = {_n(prisma, 'awaiting_eligibility')})")

    L, W, R, RW = 8, 40, 56, 42  # left column x/width, right column x/width
    band(74, 24, "Identification")
    band(14, 58, "Screening")
    band(1, 11, "Included")
    box(L, 80, W, 17, id_lines)
    box(R, 77, RW, 20, removed)
    box(L, 62, W, 8, [f"Records screened (n = {_n(prisma, 'screened')})"])
    box(R, 56, RW, 16, excl)
    box(L, 44, W, 8, [f"Reports sought for retrieval (n = {_n(prisma, 'reports_sought')})"])
    box(R, 44, RW, 8, [f"Reports not retrieved (n = {_n(prisma, 'reports_not_retrieved')})"])
    box(L, 24, W, 10, [f"Reports assessed for eligibility (n = {_n(prisma, 'reports_assessed')})"])
    box(R, 18, RW, 16, rep_excl)
    box(L, 2, W, 8, [f"Studies included in review (n = {_n(prisma, 'included')})"], fill="#eef6ee")
    for y0, y1 in ((80, 70.6), (62, 52.6), (44, 34.6), (24, 10.6)):
        arrow(L + W / 2, y0 - 0.3, L + W / 2, y1)
    for y in (88, 66, 48, 29):
        arrow(L + W + 0.4, y, R - 0.4, y)
    return fig


def works_per_year(works: pd.DataFrame, included: list[str]):
    """Canonical records per publication year: identified and included, by source."""
    canon = works[works["duplicate_of"].isna()].copy()
    canon["included"] = canon["work_id"].isin(set(included))
    canon = canon[canon["publication_year"].notna()]
    fig = _figure(9, 3.6)
    ax = fig.add_subplot(1, 1, 1)
    if canon.empty:
        ax.text(
            0.5, 0.5, "No publication years in the records", ha="center", transform=ax.transAxes
        )
        return fig
    years = np.arange(
        int(canon["publication_year"].min()), int(canon["publication_year"].max()) + 1
    )
    sources = sorted(canon["source_id"].unique())
    bottom = np.zeros(len(years))
    palette = ["#a8dadc", "#457b9d", "#f4a261", "#e9c46a", "#8ecae6"]
    for i, src in enumerate(sources):
        counts = canon[canon["source_id"] == src]["publication_year"].astype(int).value_counts()
        vals = np.array([counts.get(y, 0) for y in years])
        ax.bar(
            years, vals, bottom=bottom, color=palette[i % len(palette)], label=f"identified: {src}"
        )
        bottom += vals
    inc = canon[canon["included"]]["publication_year"].astype(int).value_counts()
    ax.plot(
        years,
        [inc.get(y, 0) for y in years],
        color="#1d3557",
        marker="o",
        ms=3,
        lw=1.5,
        label="included",
    )
    n_missing = int(works[works["duplicate_of"].isna()]["publication_year"].isna().sum())
    ax.set_title(f"Records per publication year ({n_missing} records without a year not shown)")
    ax.set_ylabel("records")
    ax.legend(frameon=False, fontsize=8)
    return fig


def themes_over_time(
    protocol: Protocol, codes: pd.DataFrame, works: pd.DataFrame, included: list[str]
):
    """Share of included works per year carrying each theme (heat map, themes by group;
    ``codes``: the tags in force)."""
    yrs = works.set_index("work_id")["publication_year"]
    inc = [w for w in included if pd.notna(yrs.get(w))]
    fig = _figure(9, 6.2)
    ax = fig.add_subplot(1, 1, 1)
    if not inc:
        ax.text(0.5, 0.5, "No included works with a year", ha="center", transform=ax.transAxes)
        return fig
    year = {w: int(yrs[w]) for w in inc}
    bins = sorted(set(year.values()))
    if len(bins) > 12:  # group older years
        cut = bins[-10]
        label = {y: (f"≤{cut - 1}" if y < cut else str(y)) for y in bins}
    else:
        label = {y: str(y) for y in bins}
    cols = list(dict.fromkeys(label[y] for y in bins))
    per_col = Counter(label[year[w]] for w in inc)
    cur = codes[codes["work_id"].isin(set(inc))]
    themes = list(protocol.codebook)
    mat = np.zeros((len(themes), len(cols)))
    for i, t in enumerate(themes):
        ws = set(cur.loc[cur["theme_id"] == t.id, "work_id"])
        c = Counter(label[year[w]] for w in ws)
        mat[i] = [c.get(col, 0) / per_col[col] if per_col[col] else 0 for col in cols]
    im = ax.imshow(mat, aspect="auto", cmap="Blues", vmin=0, vmax=max(0.5, mat.max()))
    ax.set_yticks(range(len(themes)), [f"{t.id} {t.label[:42]}" for t in themes], fontsize=7.5)
    for tick, t in zip(ax.get_yticklabels(), themes, strict=True):
        tick.set_color(protocol.group(t.group).colour)
    ax.set_xticks(range(len(cols)), [f"{c}\n(n={per_col[c]})" for c in cols], fontsize=7)
    ax.set_title("Themes over time: share of the year's included works")
    fig.colorbar(im, ax=ax, fraction=0.025, pad=0.01)
    return fig


def places_chart(places: pd.DataFrame, gazetteer: Gazetteer | None):
    """Ranked bars: countries named by the included works, and the gazetteer's regions."""
    panels = [("country", "Countries")]
    if gazetteer is not None and gazetteer.regions:
        panels.append((gazetteer.region_kind, gazetteer.region_label))
    fig = _figure(4.5 * len(panels), 4.2)
    for k, (kind, title) in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), k + 1)
        counts = places[places["kind"] == kind].groupby("place")["work_id"].nunique()
        counts = counts.sort_values(ascending=True).tail(15)
        colours = [GREY if p == "not stated" else "#457b9d" for p in counts.index]
        ax.barh(counts.index, counts.values, color=colours)
        ax.set_title(f"{title} named (works)")
        ax.tick_params(axis="y", labelsize=7.5)
        for y, v in enumerate(counts.values):
            ax.text(v, y, f" {v}", va="center", fontsize=7)
    fig.tight_layout()
    return fig


def theme_network(
    protocol: Protocol, codes: pd.DataFrame, included: list[str], *, min_works: int = 3
):
    """Themes as nodes (size: works), edges where at least ``min_works`` works carry both
    (``codes``: the tags in force)."""
    cur = codes[codes["work_id"].isin(set(included))]
    by_work = cur.groupby("work_id")["theme_id"].apply(lambda s: sorted(set(s)))
    pairs = Counter(p for ts in by_work for p in combinations(ts, 2))
    sizes = cur.groupby("theme_id")["work_id"].nunique()
    themes = list(protocol.codebook)
    fig = _figure(8, 8)
    ax = fig.add_axes((0.02, 0.02, 0.96, 0.9))
    ax.axis("off")
    ax.set_xlim(-1.7, 1.7)
    ax.set_ylim(-1.35, 1.35)
    pos = {t.id: (math.cos(2 * math.pi * i / len(themes) + math.pi / 2),
                  math.sin(2 * math.pi * i / len(themes) + math.pi / 2))
           for i, t in enumerate(themes)}  # fmt: skip
    top = max(pairs.values(), default=1)
    for (a, b), n in sorted(pairs.items(), key=lambda kv: kv[1]):
        if n < min_works:
            continue
        (x0, y0), (x1, y1) = pos[a], pos[b]
        ax.plot(
            [x0, x1],
            [y0, y1],
            color="#457b9d",
            alpha=0.15 + 0.6 * n / top,
            lw=0.5 + 4 * n / top,
            zorder=1,
        )
    biggest = max(sizes.max() if len(sizes) else 1, 1)
    for t in themes:
        x, y = pos[t.id]
        n = int(sizes.get(t.id, 0))
        ax.scatter(
            [x],
            [y],
            s=60 + 900 * n / biggest,
            color=protocol.group(t.group).colour,
            zorder=2,
            edgecolors="white",
        )
        ax.text(
            x * 1.2,
            y * 1.2,
            f"{t.id} {textwrap.shorten(t.label, 26)}\n({n})",
            ha="center",
            va="center",
            fontsize=7,
        )
    ax.legend(
        handles=[Patch(color=g.colour, label=g.label) for g in protocol.groups],
        loc="lower left",
        frameon=False,
        fontsize=8,
    )
    fig.suptitle(
        f"Theme co-occurrence: edges where ≥ {min_works} included works carry both "
        "(colour: the theme's group)",
        fontsize=9,
        x=0.02,
        ha="left",
    )
    return fig


def topic_sizes(topic_info: pd.DataFrame):
    """Works per topic, labelled by their top words (outliers in grey)."""
    t = topic_info.sort_values("size")
    fig = _figure(9, 0.8 + 0.32 * len(t))
    ax = fig.add_subplot(1, 1, 1)
    labels = [
        ("outliers" if r.topic == -1 else f"{r.topic}: " + textwrap.shorten(r.words, 60))
        for r in t.itertuples()
    ]
    ax.barh(labels, t["size"], color=[GREY if x == -1 else "#2a9d8f" for x in t["topic"]])
    ax.set_title("Topics (BERTopic): included works per topic")
    ax.tick_params(axis="y", labelsize=7.5)
    fig.tight_layout()
    return fig


def write_figures(protocol: Protocol, tables: dict[str, pd.DataFrame], run: RunPaths) -> None:
    """The report's figures (SVG + PNG under ``figures/``), drawn from the run's tables."""
    included = included_ids(tables["status"])
    figures = {
        "prisma": prisma_flow(tables["prisma"]),
        "works_per_year": works_per_year(tables["works"], included),
        "themes_over_time": themes_over_time(
            protocol, tables["current_codes"], tables["works"], included
        ),
        "places": places_chart(tables["places"], protocol.places),
        "themes": theme_network(protocol, tables["current_codes"], included),
    }
    if tables.get("topic_info") is not None:
        figures["topic_sizes"] = topic_sizes(tables["topic_info"])
    for name, fig in figures.items():
        save_figure(fig, run.figure(name, ".svg"), run.figure(name, ".png"))
