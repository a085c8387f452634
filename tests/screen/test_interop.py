"""Exchanging screening with ASReview LAB: export with labels, import labels back."""

import pandas as pd
import pytest
from helpers import screening_works

from slr.errors import SlrError
from slr.screen.interop import asreview_ris, labels_to_decisions, read_asreview_labels, to_asreview
from slr.screen.session import ScreeningSession
from slr.tables import io


def test_round_trip_with_asreview_formats(protocol, tmp_path):
    works = screening_works()
    s = ScreeningSession(protocol, works, reviewer="ana")
    s.decide("R0", "include")
    s.decide("X0", "exclude", criterion_id="IC3")
    frame = to_asreview(works, s.log())
    assert frame.set_index("record_id").loc["R0", "asreview_label"] == 1
    assert pd.isna(frame.set_index("record_id").loc["R1", "asreview_label"])
    csv_path, ris_path = tmp_path / "export.csv", tmp_path / "export.ris"
    io.write_csv_frame(frame, csv_path)
    io.write_text(ris_path, asreview_ris(works, s.log()))
    for path in (csv_path, ris_path):
        labels = read_asreview_labels(path).set_index("record_id")["label"].to_dict()
        assert labels == {"R0": 1, "X0": 0}
    rows = labels_to_decisions(
        read_asreview_labels(ris_path), works, protocol, reviewer="asreview:ana"
    )
    assert set(rows["reviewer"]) == {"asreview:ana"} and list(rows["decision"]) == [
        "include",
        "exclude",
    ]


def test_import_of_an_asreview_export_and_unknown_ids(protocol, tmp_path):
    f = tmp_path / "asreview_export.csv"
    f.write_text(
        "record_id,title,abstract,asreview_label,asreview_time\nR2,a,b,1,2026\nX5,c,d,0,2026\nX6,e,f,,\n",
        encoding="utf-8",
    )
    labels = read_asreview_labels(f)
    assert labels.to_dict("records") == [
        {"record_id": "R2", "label": 1},
        {"record_id": "X5", "label": 0},
    ]
    f.write_text("record_id,title,asreview_label\nZZ9,a,1\n", encoding="utf-8")
    with pytest.raises(SlrError, match="name no work of this review, e.g. record_id 'ZZ9'"):
        labels_to_decisions(read_asreview_labels(f), screening_works(), protocol, reviewer="x")
