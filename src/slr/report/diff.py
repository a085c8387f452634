"""What changed between two runs: claim verdicts, works, decisions in force, tags, PRISMA
counts, the size of each run table, files.

Pure functions over runs as read by :func:`slr.tables.io.read_run` (with their ``manifest.json``).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from slr.tables.contracts import RUN_TABLES
from slr.tables.decisions import latest_decisions

Run = dict[str, Any]


def diff_runs(a: Run, b: Run) -> dict[str, Any]:
    """The differences from run ``a`` to run ``b``.

    ``works_added``/``works_removed`` (work IDs), ``decisions_changed`` (work, stage, decision
    in ``a`` → in ``b``, with criteria), ``codes_added``/``codes_removed`` ((work, theme) tags in
    force), ``counts`` (PRISMA boxes that differ: a, b), ``rows`` (run tables whose number
    of rows differs: a, b; None for a table a run did not write) and ``outputs_changed`` (files
    whose SHA-256 differs, or that only one run has, from the manifests); ``titles``: the
    title of every work either run has (the newer run's where both do).
    """
    wa, wb = set(a["works"]["work_id"]), set(b["works"]["work_id"])
    da, db = _in_force(a["decisions"]), _in_force(b["decisions"])
    both = da.add_suffix("_a").join(db.add_suffix("_b"), how="outer")
    changed = both[
        (both["decision_a"].fillna("") != both["decision_b"].fillna(""))
        | (both["criterion_id_a"].fillna("") != both["criterion_id_b"].fillna(""))
    ].reset_index()
    ca, cb = _tags(a["current_codes"]), _tags(b["current_codes"])
    pa, pb = a["meta"].get("prisma", {}), b["meta"].get("prisma", {})
    counts = {
        k: {"a": pa.get(k), "b": pb.get(k)}
        for k in sorted(set(pa) | set(pb))
        if pa.get(k) != pb.get(k)
    }
    return {
        "claims_changed": _claims_changed(a.get("claims"), b.get("claims")),
        "works_added": sorted(wb - wa),
        "works_removed": sorted(wa - wb),
        "decisions_changed": changed.astype(object).where(changed.notna(), None).to_dict("records"),
        "codes_added": sorted(cb - ca),
        "codes_removed": sorted(ca - cb),
        "counts": counts,
        "rows": _rows_changed(a, b),
        "outputs_changed": _outputs_changed(a.get("manifest"), b.get("manifest")),
        "titles": _titles(a["works"], b["works"]),
    }


def _titles(a: pd.DataFrame, b: pd.DataFrame) -> dict[str, str]:
    both = pd.concat([a[["work_id", "title"]], b[["work_id", "title"]]])
    both = both.drop_duplicates("work_id", keep="last")
    return {
        w: ("" if pd.isna(t) else str(t))
        for w, t in zip(both["work_id"], both["title"], strict=True)
    }


def _claims_changed(a: pd.DataFrame | None, b: pd.DataFrame | None) -> list[dict[str, Any]]:
    """Claims of the seed article whose status differs (a claim only one run has counts)."""
    if a is None or b is None:
        return []
    sa = dict(zip(a["claim_id"], a["status"], strict=True))
    sb = dict(zip(b["claim_id"], b["status"], strict=True))
    return [
        {"claim_id": c, "a": sa.get(c), "b": sb.get(c)}
        for c in sorted(set(sa) | set(sb))
        if sa.get(c) != sb.get(c)
    ]


def _in_force(decisions: pd.DataFrame) -> pd.DataFrame:
    cur = latest_decisions(decisions)
    return cur.set_index(["work_id", "stage"])[["decision", "criterion_id"]]


def _tags(codes: pd.DataFrame) -> set[tuple[str, str]]:
    return set(zip(codes["work_id"], codes["theme_id"], strict=True))


def _rows_changed(a: Run, b: Run) -> dict[str, dict[str, int | None]]:
    sizes = {
        t.name: {
            side: None if run[t.name] is None else len(run[t.name])
            for side, run in (("a", a), ("b", b))
        }
        for t in RUN_TABLES
    }
    return {name: n for name, n in sizes.items() if n["a"] != n["b"]}


def _outputs_changed(ma: dict | None, mb: dict | None) -> list[str] | None:
    if not ma or not mb:
        return None
    ha = {o["path"]: o["sha256"] for o in ma.get("outputs", [])}
    hb = {o["path"]: o["sha256"] for o in mb.get("outputs", [])}
    return sorted(p for p in set(ha) | set(hb) if ha.get(p) != hb.get(p))


SHOWN = 20  # items listed per change; the rest counted ("… and N more")


def describe_diff(d: dict[str, Any], name_a: str, name_b: str, *, shown: int = SHOWN) -> str:
    """The diff as plain text for the terminal: each list cut at ``shown`` items with how many
    more there are, works with their titles."""
    lines = [f"{name_a} → {name_b}"]
    if not any(v for k, v in d.items() if k != "titles"):
        return lines[0] + ": identical (works, decisions, tags, counts and output files)"
    titles = d.get("titles", {})

    def work(w: str) -> str:
        title = titles.get(w, "")
        return f"{w} {_short(title)}" if title else w

    def listed(items: list, line) -> None:
        lines.extend(line(x) for x in items[:shown])
        if len(items) > shown:
            lines.append(f"  … and {len(items) - shown} more")

    if d["claims_changed"]:
        lines.append(f"claim verdicts changed: {len(d['claims_changed'])}")
        listed(
            d["claims_changed"],
            lambda c: f"  {c['claim_id']}: {c['a'] or '(none)'} → {c['b'] or '(none)'}",
        )
    if d["counts"]:
        lines.append("PRISMA boxes changed:")
        listed(
            list(d["counts"].items()), lambda kv: f"  {kv[0]}: {_n(kv[1]['a'])} → {_n(kv[1]['b'])}"
        )
    lines.append(f"works added: {len(d['works_added'])}, removed: {len(d['works_removed'])}")
    listed(d["works_added"], lambda w: f"  + {work(w)}")
    listed(d["works_removed"], lambda w: f"  - {work(w)}")
    lines.append(f"decisions changed: {len(d['decisions_changed'])}")
    listed(
        d["decisions_changed"],
        lambda r: f"  {work(r['work_id'])} [{r['stage']}]: {_dec(r, 'a')} → {_dec(r, 'b')}",
    )
    lines.append(f"tags added: {len(d['codes_added'])}, removed: {len(d['codes_removed'])}")
    listed(d["codes_added"], lambda wt: f"  + {wt[1]} on {work(wt[0])}")
    listed(d["codes_removed"], lambda wt: f"  - {wt[1]} on {work(wt[0])}")
    if d["rows"]:
        lines.append("rows per table:")
        listed(
            list(d["rows"].items()), lambda kv: f"  {kv[0]}: {_n(kv[1]['a'])} → {_n(kv[1]['b'])}"
        )
    if d["outputs_changed"] is not None:
        lines.append(f"output files that differ: {len(d['outputs_changed'])}")
        listed(d["outputs_changed"], lambda p: f"  {p}")
    return "\n".join(lines)


def _short(title: str, width: int = 70) -> str:
    title = " ".join(title.split())
    return f"“{title if len(title) <= width else title[: width - 1] + '…'}”"


def _n(value) -> str:
    """A count, or "(none)" for a box or table a run does not have."""
    return "(none)" if value is None else str(value)


def _dec(r: dict, side: str) -> str:
    dec = r.get(f"decision_{side}")
    if dec is None:
        return "(none)"
    crit = r.get(f"criterion_id_{side}")
    return f"{dec} {crit}" if crit else str(dec)
