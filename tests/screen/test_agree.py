"""Agreement of two reviewers and the conflicts to resolve."""

import pytest
from helpers import screening_works

from slr.errors import SlrError
from slr.screen.agree import compute_agreement, compute_conflicts
from slr.screen.session import ScreeningSession


def test_agreement_on_records_both_screened_and_conflicts(protocol):
    works = screening_works()
    ana = ScreeningSession(protocol, works, reviewer="ana")
    ben = ScreeningSession(protocol, works, reviewer="ben")
    for w in ("R0", "R1", "R2", "X0"):
        ana.decide(
            w,
            "include" if w.startswith("R") else "exclude",
            criterion_id=None if w.startswith("R") else "IC3",
        )
    for w, d in (("R0", "include"), ("R1", "exclude"), ("X0", "exclude"), ("X1", "exclude")):
        ben.decide(w, d, criterion_id="IC3" if d == "exclude" else None)
    log = ana.log()
    ag = compute_agreement(log, "ana", "ben")
    assert (ag.n_both, ag.n_only_a, ag.n_only_b) == (3, 1, 1)
    assert ag.percent == pytest.approx(2 / 3)
    conflicts = compute_conflicts(log, "ana", "ben")
    assert list(conflicts["work_id"]) == ["R1"] and not conflicts["resolved"].iloc[0]
    carla = ScreeningSession(protocol, works, reviewer="carla", blind=False)
    carla.decide("R1", "include", note="resolved in consensus meeting")
    conflicts = compute_conflicts(carla.log(), "ana", "ben")
    assert conflicts["resolved"].iloc[0] and conflicts["current"].iloc[0] == "include"
    with pytest.raises(SlrError, match="unknown reviewer 'zoe'"):
        compute_agreement(log, "ana", "zoe")
