"""Human title/abstract screening: one reviewer's session (the logic behind the panel).

:class:`ScreeningSession` holds one reviewer's screening of a review: which work to show next
(ranked by the protocol's model on the decisions so far; before there is anything to learn from,
by how many of the protocol's topic terms a work carries), and every click as a new row in the
review's hash-chained screening log (``corpus/<review>/screening/decisions.csv``) with reviewer,
time, protocol version, model (with the slr version that implements it) and the work's rank
among all candidates when it was shown. Undo is a new row, never an edit. In blind mode a
reviewer neither sees nor learns from anyone else's decisions. In ``resolve`` mode the candidates are the open conflicts of two reviewers
(:func:`slr.screen.agree.open_conflicts`), shown with both decisions.

:mod:`slr.screen.panel` puts ipywidgets on a session; the notebook ``notebooks/02_screening.py``
shows it in JupyterLab.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from slr.clock import now_utc
from slr.errors import SlrError
from slr.escape import as_html
from slr.layout import ReviewPaths
from slr.protocol import Criterion, Protocol, TopicRule
from slr.screen.agree import open_conflicts
from slr.screen.model import Ranker
from slr.screen.stop import StopCheck, check_stopping
from slr.tables.decisions import active_rows, latest_decisions
from slr.tables.log import LogReader, append_log
from slr.tables.schema import field_texts
from slr.text import compile_terms

STAGE = "title_abstract"


def _text(work: pd.Series) -> str:
    """What the ranking model and the term highlighting read: title, abstract, keywords."""
    return " ".join(field_texts(work, ("title", "abstract", "keywords")).values())


@dataclass
class Shown:
    work_id: str
    rank: int
    title: str
    abstract: str
    keywords: list[str]
    venue: str
    year: str
    terms: list[str]  # protocol terms found in the text
    conflict: str = ""  # in resolve mode: the two reviewers' decisions


@dataclass(frozen=True)
class Progress:
    """Where a reviewer's screening stands: decided of the candidates, includes found, and the
    stopping rule's p-value (None before anything is screened)."""

    decided: int
    total: int
    included: int
    p_value: float | None
    safe_to_stop: bool

    def describe(self) -> str:
        stop = (
            "stopping rule: nothing screened yet"
            if self.p_value is None
            else f"stopping p = {self.p_value:.3f} ({'safe to stop' if self.safe_to_stop else 'keep screening'})"
        )
        return f"{self.decided} / {self.total} screened · {self.included} relevant found · {stop}"


class ScreeningSession:
    """One reviewer screening the candidates of a review.

    Parameters
    ----------
    protocol : the review protocol (criteria, topic terms, screening settings)
    works : the works table of a run (duplicates are skipped)
    reviewer : who is screening (every row carries it)
    log_path : the screening log (default: ``corpus/<review>/screening/decisions.csv``)
    blind : see and learn only from this reviewer's own decisions
    candidates : work_ids to screen (default: every canonical work)
    resolve : screen the open conflicts of two reviewers (not blind: both decisions are shown)
    """

    def __init__(
        self,
        protocol: Protocol,
        works: pd.DataFrame,
        *,
        reviewer: str,
        log_path: Path | None = None,
        blind: bool = True,
        candidates: list[str] | None = None,
        resolve: bool = False,
    ):
        if not reviewer or not reviewer.strip():
            raise SlrError("a reviewer name is needed: every decision row carries it")
        self.protocol = protocol
        self.reviewer = reviewer.strip()
        self.resolve = resolve
        self.blind = blind and not resolve
        self.log_path = Path(log_path) if log_path else ReviewPaths.of(protocol).screening_log
        self._log = LogReader(self.log_path)
        self.conflicts: dict[str, str] = {}
        if resolve:
            open_ = open_conflicts(self.log(), stage=STAGE)
            self.conflicts = dict(zip(open_["work_id"], open_["decisions"], strict=True))
            candidates = sorted(set(candidates or self.conflicts) & set(self.conflicts))
        canonical = works[works["duplicate_of"].isna()]
        if candidates is not None:
            unknown = sorted(set(candidates) - set(canonical["work_id"]))
            if unknown:
                raise SlrError(f"unknown work_id {unknown[0]!r} among the candidates")
            canonical = canonical[canonical["work_id"].isin(set(candidates))]
        self.works = canonical.reset_index(drop=True)
        self.index = {w: i for i, w in enumerate(self.works["work_id"])}
        self.model = protocol.screening.model
        # what each row logs: the model and the slr that implements it
        self.model_version = f"{self.model} (slr {version('slr')})"
        self.ranker = Ranker(
            model=self.model, seed=protocol.seed, cache=ReviewPaths.of(protocol).embedding_cache
        )
        texts = [_text(w) for _, w in self.works.iterrows()]
        # the review's question as a relevant record (last row), never shown or ranked
        self.question = protocol.question_text() if protocol.screening.question_prior else None
        self.views = (
            self.ranker.features(texts + [self.question] if self.question else texts)
            if len(texts) > 2
            else None
        )
        self._last_scores: np.ndarray | None = None  # of the latest ranking (rank_of)
        self.terms = compile_terms(_topic_terms(protocol))
        self.prior = np.array(
            [sum(bool(t.search(x)) for t in self.terms) for x in texts], dtype=float
        )

    # ---------------------------------------------------------------- state
    def log(self) -> pd.DataFrame:
        """The screening log as it is now (everyone's rows; only new rows are read)."""
        return self._log.read()

    def visible_decisions(self) -> pd.DataFrame:
        """The decisions this reviewer may see: their own in blind mode, everyone's otherwise."""
        log = self.log()
        log = log[log["stage"] == STAGE]
        if self.blind or self.resolve:
            log = log[log["reviewer"] == self.reviewer]
        return latest_decisions(log)

    def ranking(self) -> list[str]:
        """Unscreened candidates, most likely relevant first."""
        current = self.visible_decisions()
        decided = set(current["work_id"])
        pool = np.array(
            [i for i, w in enumerate(self.works["work_id"]) if w not in decided], dtype=int
        )
        scores = self._last_scores = self._scores(current)  # every candidate's, for rank_of
        if not len(pool):
            return []
        order = pool[np.lexsort((pool, -scores[pool]))]
        return [self.works["work_id"].iloc[i] for i in order]

    def rank_of(self, work_id: str) -> int:
        """``work_id``'s rank among all candidates, screened or not, by the scores of the
        latest ranking (1 = most likely relevant): what the model thought of it when shown."""
        if self._last_scores is None:
            self.ranking()
        scores = self._last_scores
        assert scores is not None  # set by ranking()
        everyone = np.arange(len(scores))
        order = everyone[np.lexsort((everyone, -scores))]
        return int(np.flatnonzero(order == self.index[work_id])[0]) + 1

    def _scores(self, current: pd.DataFrame) -> np.ndarray:
        prior = rankdata(self.prior) / len(self.prior)
        labelled = current[current["decision"].isin(["include", "exclude"])]
        labelled = labelled[labelled["work_id"].isin(self.index)]
        y = (labelled["decision"] == "include").astype(int).to_numpy()
        rows = np.array([self.index[w] for w in labelled["work_id"]], dtype=int)
        if self.question:
            rows, y = np.append(rows, len(self.prior)), np.append(y, 1)
        if self.views is None or len(set(y.tolist())) < 2:
            return prior
        self.ranker.fit(self.views, rows, y)
        model = rankdata(self.ranker.score(self.views)[: len(self.prior)]) / len(self.prior)
        w = 10 / (10 + len(labelled))  # the keyword prior fades as decisions accumulate
        return (1 - w) * model + w * prior

    def next_work(self) -> Shown | None:
        ranking = self.ranking()
        if not ranking:
            return None
        work = self.works.iloc[self.index[ranking[0]]]
        text = _text(work)
        return Shown(
            work_id=work["work_id"],
            rank=self.rank_of(work["work_id"]),
            title=str(work["title"]) if pd.notna(work["title"]) else "(no title)",
            abstract=str(work["abstract"]) if pd.notna(work["abstract"]) else "",
            keywords=list(work["keywords"]),
            venue=str(work["venue"]) if pd.notna(work["venue"]) else "",
            year="" if pd.isna(work["publication_year"]) else str(int(work["publication_year"])),
            terms=sorted({m.group(0).lower() for t in self.terms if (m := t.search(text))}),
            conflict=self.conflicts.get(work["work_id"], ""),
        )

    def reasons(self) -> list[tuple[str, str]]:
        """The reasons an exclusion may give, as (label, criterion id): each exclusion
        criterion, then each inclusion criterion phrased as failing it."""
        crits = self.protocol.criteria
        return [(_reason(c), c.id) for c in crits if c.kind == "exclusion"] + [
            (_reason(c), c.id) for c in crits if c.kind != "exclusion"
        ]

    def progress(self) -> Progress:
        """How far this reviewer has got (:class:`Progress`)."""
        current = self.visible_decisions()
        current = current[current["work_id"].isin(self.index)]
        try:
            check = self.stopping()
            p, safe = check.p_value, check.safe_to_stop
        except SlrError:
            p, safe = None, False
        return Progress(
            decided=len(current),
            total=len(self.works),
            included=int((current["decision"] == "include").sum()),
            p_value=p,
            safe_to_stop=safe,
        )

    # ---------------------------------------------------------------- actions
    def decide(
        self,
        work_id: str,
        decision: str,
        *,
        criterion_id: str | None = None,
        note: str | None = None,
        rank: int | None = None,
    ) -> pd.DataFrame:
        """Append this reviewer's decision on ``work_id`` to the log; return the row."""
        if work_id not in self.index:
            raise SlrError(f"unknown work_id {work_id!r}: not a candidate of this screening")
        if decision not in ("include", "exclude", "unsure"):
            raise SlrError(
                f"decision {decision!r} is not valid; valid options: include, exclude, unsure"
            )
        if decision == "exclude":
            if not criterion_id:
                raise SlrError(
                    "an exclusion needs a reason: choose the criterion it fails; valid options: "
                    + ", ".join(c.id for c in self.protocol.criteria)
                )
            self.protocol.criterion(criterion_id)  # raises naming the valid options
        if rank is None:
            rank = self.rank_of(work_id)
        reason = _reason(self.protocol.criterion(criterion_id)) if criterion_id else None
        if self.resolve and work_id in self.conflicts:
            note = "; ".join(filter(None, [f"resolves {self.conflicts[work_id]}", note]))
        return self._append(work_id, decision, criterion_id, reason, note, rank)

    def undo(self) -> pd.DataFrame | None:
        """Withdraw this reviewer's last decision still in force (a new ``undo`` row)."""
        log = self.log()
        mine = log[(log["reviewer"] == self.reviewer) & (log["stage"] == STAGE)].reset_index(
            drop=True
        )
        active = active_rows(mine)
        if not active:
            return None
        last = mine.iloc[active[-1]]
        return self._append(last["work_id"], "undo", None, f"undoes {last['decision']}", None, None)

    def stopping(self) -> StopCheck:
        """The stopping rule on this reviewer's screening so far (in log order)."""
        s = self.protocol.screening
        mine = self.visible_decisions()  # the current decisions, in log order
        mine = mine[
            mine["decision"].isin(["include", "exclude"]) & mine["work_id"].isin(self.index)
        ]
        labels = (mine["decision"] == "include").astype(int).to_numpy()
        if not len(labels):
            raise SlrError("nothing screened yet: the stopping rule needs screened records")
        return check_stopping(
            labels, len(self.works), recall_target=s.recall_target, confidence=s.confidence
        )

    def stop(self) -> pd.DataFrame:
        """Record the stop: every unscreened candidate gets a ``stopped`` row with the evidence.

        Refuses while the stopping rule does not say it is safe.
        """
        check = self.stopping()
        if not check.safe_to_stop:
            raise SlrError(f"not safe to stop yet: {check.describe()}")
        rows = [
            {
                "work_id": w,
                "stage": STAGE,
                "decision": "stopped",
                "reason": f"stopping rule: {check.describe()}",
            }
            for w in self.ranking()
        ]
        return self._rows(rows)

    def _append(self, work_id, decision, criterion_id, reason, note, rank) -> pd.DataFrame:
        row = {
            "work_id": work_id,
            "stage": STAGE,
            "decision": decision,
            "criterion_id": criterion_id,
            "reason": reason,
            "note": note or None,
            "rank": rank,
        }
        return self._rows([row])

    def _rows(self, rows: list[dict]) -> pd.DataFrame:
        df = pd.DataFrame(rows)
        df["reviewer"] = self.reviewer
        df["decided_at"] = now_utc()
        df["protocol_version"] = self.protocol.version
        df["model"] = self.model_version
        return append_log(self.log_path, df)


def screening_candidates(status: pd.DataFrame) -> list[str]:
    """The works people screen at title and abstract, from a run's status table: every work
    but duplicates and those the automation stage excluded (year, language, type …)."""
    automated = (status["status"] == "excluded") & (status["stage"] == "automation")
    return status.loc[~automated & (status["status"] != "duplicate"), "work_id"].tolist()


def _reason(criterion: Criterion) -> str:
    """An exclusion's reason text: an exclusion criterion's label, or that an inclusion
    criterion is not met."""
    if criterion.kind == "exclusion":
        return f"{criterion.id}: {criterion.label}"
    return f"fails {criterion.id}: {criterion.label}"


def _topic_terms(protocol: Protocol) -> list[str]:
    terms: list[str] = []
    for c in protocol.criteria:
        if isinstance(c.rule, TopicRule):
            for block in c.rule.all_of.values():
                terms += list(block)
    return list(dict.fromkeys(terms))


def highlight(text: str, terms: list[str]) -> str:
    """HTML of ``text`` with the found terms marked."""
    out = as_html(text)
    for term in sorted(set(terms), key=len, reverse=True):
        out = re.sub(rf"(?i)(?<![\w>])({re.escape(as_html(term))})", r"<mark>\1</mark>", out)
    return out
