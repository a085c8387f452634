"""A second review on another topic runs end to end with no code change: its own questions,
language, criteria, codebook groups, words and gazetteer are all in its protocol."""

import re
import shutil

import yaml
from helpers import ROOT, shared

from slr.cli import main
from slr.layout import ReviewPaths
from slr.protocol import load_protocol
from slr.tables.io import read_run


def test_the_functional_family_therapy_review_runs_with_its_own_report(tmp_path):
    data_file = shared("screening", "Filges2015_FFT_AIscreenR_tutorial_TA.csv")
    (tmp_path / "protocols").mkdir()
    path = tmp_path / "protocols" / "functional-family-therapy.yaml"
    shutil.copy(ROOT / "protocols" / "functional-family-therapy.yaml", path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["sources"][0]["path"] = str(data_file)  # the shared data, wherever this clone is
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")

    assert main(["-q", "run", str(path), "--run-id", "r"]) == 0
    protocol = load_protocol(path)
    run_dir = ReviewPaths.of(protocol).run("r").dir
    run = read_run(run_dir)
    n = run["meta"]["prisma"]
    assert n["identified"] == 270 and n["included"] > 20
    assert set(run["current_codes"]["theme_id"]) <= {t.id for t in protocol.codebook}
    assert {"outcome", "design"} == {t.group for t in protocol.codebook}
    # its gazetteer has countries only: no region kind in the places table
    assert set(run["places"]["kind"]) == {"country"}
    assert run["topic_info"] is not None and len(run["topic_info"]) >= 2
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", " ", re.sub(r"data:image/[^\"]+", "", html))
    assert "RQ1: outcomes" in text and "RQ2: study designs" in text
    assert protocol.review.title in text
    # nothing of the first review leaks into the second's report
    for words in ("Indonesia", "province", "gotong", "potentials", "RQ2: challenges", "RQ3"):
        assert words not in text, words
