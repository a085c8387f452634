"""The article a review redoes, checked: its claims against the included works, its
references against the corpus and OpenAlex."""

from __future__ import annotations

import math

import pandas as pd
from rapidfuzz import fuzz

from slr.coding.tagger import results_reporting
from slr.ingest.fields import normalise_title
from slr.protocol import Protocol
from slr.report.synthesis import cite
from slr.tables.decisions import included_ids

CLAIM_STATUS = ("supported", "mixed", "not found")


def compute_claim_check(
    works: pd.DataFrame,
    status: pd.DataFrame,
    codes: pd.DataFrame,
    protocol: Protocol,
    places: pd.DataFrame | None = None,
    *,
    examples: int = 2,
) -> pd.DataFrame:
    """Each claim of the seed article against the included works.

    A claim's parts are its themes (works tagged with the theme), its places (works naming
    the place) and its outcomes (works whose abstract has a result sentence with the outcome's
    terms). A part is *found* when at least ``seed_article.min_works`` included works, and
    ``seed_article.min_share`` of them, carry it. Status: ``supported`` when every part is
    found, ``mixed`` when some are, ``not found`` when none is; ``margin``: the fewest works whose tags (or places) would have to change for
    the status to change, ``flip``: which (:func:`claim_margin`). This measures whether the
    corpus reports the same things, not whether the works agree with the claim's direction: the
    evidence sentences are listed to read.
    """
    seed = protocol.seed_article
    if seed is None:
        return pd.DataFrame(
            columns=[
                "claim_id",
                "claim",
                "status",
                "needed",
                "parts",
                "works",
                "margin",
                "flip",
                "evidence",
            ]  # fmt: skip
        )
    included = set(included_ids(status))
    by_id = works.set_index("work_id")
    cur = codes[codes["work_id"].isin(included)]
    labels = {t.id: t.label for t in protocol.codebook}
    need = max(seed.min_works, math.ceil(seed.min_share * len(included)))
    reporting = {
        o: results_reporting(works, protocol, terms, included) for o, terms in seed.outcomes.items()
    }
    rows = []
    for claim in seed.claims:
        parts, all_works, sizes, outcome_evidence = [], set(), {}, []
        for tid in claim.themes:
            ws = set(cur.loc[cur["theme_id"] == tid, "work_id"])
            parts.append(f"{tid} {labels[tid]}: {len(ws)}")
            all_works |= ws
            sizes[tid] = len(ws)
        for place in claim.places:
            ws = (
                set(places.loc[places["place"] == place, "work_id"]) & included
                if places is not None
                else set()
            )
            parts.append(f"{place}: {len(ws)}")
            all_works |= ws
            sizes[place] = len(ws)
        for outcome in claim.outcomes:
            ws = set(reporting[outcome]["work_id"])
            parts.append(f"outcome {outcome}: {len(ws)}")
            all_works |= ws
            sizes[outcome] = len(ws)
            outcome_evidence.append(reporting[outcome])
        found = sum(n >= need for n in sizes.values())
        status = "not found" if found == 0 else "supported" if found == len(sizes) else "mixed"
        margin, flip = claim_margin(sizes, need)
        ev = cur[cur["work_id"].isin(all_works) & cur["theme_id"].isin(claim.themes)]
        ev = ev.sort_values(["score", "work_id"], ascending=[False, True])
        ev = pd.concat([ev[["work_id", "evidence"]], *outcome_evidence]).head(examples)
        rows.append(
            {
                "claim_id": claim.id,
                "claim": claim.text,
                "status": status,
                "needed": need,
                "parts": "; ".join(parts),
                "works": len(all_works),
                "margin": margin,
                "flip": flip,
                "evidence": "\n".join(
                    f'{cite(by_id.loc[r.work_id])} — "{_short(r.evidence)}"'
                    for r in ev.itertuples()
                ),
            }
        )
    return pd.DataFrame(rows)


def claim_margin(sizes: dict[str, int], need: int) -> tuple[int, str]:
    """How many works would have to change for a claim's status to change, and how.

    ``sizes``: each part's number of included works; a part is found at ``need``. A found part
    is lost when ``n − need + 1`` of its works lose it; a missing part is found when
    ``need − n`` more works carry it. *supported* changes when its cheapest part is lost,
    *not found* when its cheapest part is found; *mixed* becomes *not found* when every found
    part is lost, *supported* when every missing part is found: the nearer counts.
    """
    lose = {p: n - need + 1 for p, n in sizes.items() if n >= need}
    gain = {p: need - n for p, n in sizes.items() if n < need}
    if not sizes:
        return 0, ""
    if not gain:  # supported
        p = min(lose, key=lambda k: (lose[k], k))
        to = "mixed" if len(sizes) > 1 else "not found"
        return lose[p], f"{lose[p]} fewer works with {p} → {to}"
    if not lose:  # not found
        p = min(gain, key=lambda k: (gain[k], k))
        to = "mixed" if len(sizes) > 1 else "supported"
        return gain[p], f"{gain[p]} more works with {p} → {to}"
    down = (sum(lose.values()), "fewer works with " + " and ".join(sorted(lose)), "not found")
    up = (sum(gain.values()), "more works with " + " and ".join(sorted(gain)), "supported")
    n, what, to = min(down, up)
    return n, f"{n} {what} → {to}"


def _short(text: str, n: int = 200) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def compute_reference_audit(
    works: pd.DataFrame, protocol: Protocol, *, online: dict[str, dict] | None = None
) -> pd.DataFrame:
    """Each reference of the seed article: is it in the corpus (title match, any record), and,
    when an online lookup was run (``online``: reference ID → best OpenAlex match), does
    OpenAlex know it, with which year, venue and DOI. Checks that did not run say so."""
    seed = protocol.seed_article
    cols = ["ref_id", "reference", "in_corpus", "openalex", "findings", "reviewer_note"]
    if seed is None:
        return pd.DataFrame(columns=cols)
    titles = [
        (w, normalise_title(t))
        for w, t in zip(works["work_id"], works["title"], strict=True)
        if isinstance(t, str)
    ]
    rows = []
    for ref in seed.references:
        key = normalise_title(ref.title)
        best = max(((fuzz.token_set_ratio(key, t), w) for w, t in titles), default=(0.0, None))
        in_corpus = f"yes ({best[1]})" if best[0] >= 90 else "no"
        findings = []
        if online is None:
            oa = "not checked (offline; run slr audit-references online)"
        else:
            hit = online.get(ref.id)
            if not hit:
                oa = "not found"
                findings.append("no OpenAlex work with a matching title")
            else:
                oa = f"{hit.get('id', '')} ({hit.get('score', 0):.0f}% title match)"
                if ref.year and hit.get("year") and int(hit["year"]) != ref.year:
                    findings.append(f"year printed {ref.year}, OpenAlex {hit['year']}")
                venue = hit.get("venue") or ""
                if (
                    ref.venue
                    and venue
                    and fuzz.partial_ratio(normalise_title(venue), normalise_title(ref.venue)) < 80
                ):
                    findings.append(f"venue printed '{ref.venue}', OpenAlex '{venue}'")
                findings.append(f"DOI {hit['doi']}" if hit.get("doi") else "no DOI in OpenAlex")
        rows.append(
            {
                "ref_id": ref.id,
                "reference": f"{ref.authors} ({ref.year or 'n.d.'}). {ref.title}. {ref.venue}".strip(),
                "in_corpus": in_corpus,
                "openalex": oa,
                "findings": "; ".join(findings),
                "reviewer_note": ref.note,
            }
        )
    return pd.DataFrame(rows, columns=cols)
