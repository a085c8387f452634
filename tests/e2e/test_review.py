"""One review end to end, as `slr run` writes it: every table (checked against its contract),
figure, export, executed notebook and the report."""

import json
import re
from urllib.parse import quote, unquote

import bibtexparser
import nbformat
import pandas as pd
import rispy

from slr.layout import RunPaths, notebook
from slr.protocol import load_protocol
from slr.report import present
from slr.report.checklist import checklist_table
from slr.report.notebooks import execute_notebook
from slr.tables.contracts import RUN_TABLES
from slr.tables.io import read_run, read_table


def test_the_run_writes_tables_figures_exports_and_one_report(mini_review):
    run_dir = mini_review.paths.run("a").dir
    assert f"report: {run_dir / 'report.html'}" in mini_review.printed["a"]
    for name in ("works.parquet", "works.csv", "decisions.csv", "codes.csv", "prisma.csv",
                 "sources.csv", "run.json", "report.html", "notebooks/01_corpus.ipynb",
                 "notebooks/report.ipynb", "exports/included.ris", "exports/included.bib"):  # fmt: skip
        assert (run_dir / name).is_file(), name
    run = read_run(run_dir)
    n = run["meta"]["prisma"]
    assert (n["identified"], n["duplicates"], n["screened"], n["included"]) == (12, 2, 8, 5)
    for box in ("identified", "duplicates", "automation_excluded", "screened", "screening_excluded",
                "reports_sought", "reports_not_retrieved", "reports_assessed", "reports_excluded", "included"):  # fmt: skip
        assert n[box] > 0, box
    assert run["meta"]["protocol_hash"] and set(run["decisions"]["protocol_version"]) == {
        run["meta"]["protocol_version"]
    }
    assert run["sources"].set_index("source_id").loc["oa", "status"] == "not harvested"
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    assert "Studies included in review" in html and "Social capital" in html
    assert "import slr" not in html  # code cells are hidden
    # coding and topics: tables, executed notebooks
    for name in ("topics.csv", "topic_info.csv", "topic_themes.csv", "topic_stability.csv",
                 "notebooks/02_screening.ipynb", "notebooks/03_coding.ipynb",
                 "notebooks/04_synthesis.ipynb", "notebooks/05_audit.ipynb"):  # fmt: skip
        assert (run_dir / name).is_file(), name
    included = set(run["status"].query("status == 'included'")["work_id"])
    assert (
        set(run["topics"]["work_id"])
        == included
        == set(
            run["decisions"].query("stage == 'eligibility' and decision == 'include'")["work_id"]
        )
    )
    # one report: every notebook's sections, a table of contents whose links all resolve
    for section in ("Corpus and PRISMA", "Methods", "Screening", "Theme frequencies by group",
                    "Topics (BERTopic)", "Findings by research question", "Audit",
                    "Appendix: every record and its decision"):  # fmt: skip
        assert f'href="#{quote(section.replace(" ", "-"))}"' in html, section
    ids = set(re.findall(r'id="([^"]+)"', html))
    links = re.findall(r'href="#([^"]+)"', html)
    assert links and all(link in ids or unquote(link) in ids for link in links)
    # the exports hold the included works
    assert len(rispy.loads((run_dir / "exports" / "included.ris").read_text())) == len(included)
    bib = bibtexparser.parse_string((run_dir / "exports" / "included.bib").read_text())
    assert len(bib.entries) == len(included) and not bib.failed_blocks


def test_every_run_table_is_written_read_and_counted_by_its_contract(mini_review):
    run = RunPaths(mini_review.paths.run("a").dir)
    loaded = read_run(run.dir)
    manifest = json.loads(run.manifest.read_text(encoding="utf-8"))
    for table in RUN_TABLES:
        path = run.table(table.name, ".csv")
        assert path.is_file(), table.name  # the mini review fits topics: every table is there
        df = read_table(path, table.contract)  # checked against the contract
        assert list(df.columns) == table.contract.names
        assert len(df) == len(loaded[table.name]) == manifest["tables"][table.name], table.name
    on_disk = {p.name for p in run.dir.glob("*.csv")}
    assert on_disk == {f"{t.name}.csv" for t in RUN_TABLES}  # no table without a contract
    # the current state, computed once: status per work, the tags in force
    status = loaded["status"].set_index("work_id")
    assert set(status.index) == set(loaded["works"]["work_id"])
    dup = loaded["works"]["duplicate_of"].notna()
    assert (status.loc[loaded["works"].loc[dup, "work_id"], "status"] == "duplicate").all()
    assert (
        status["reason"]
        .loc[loaded["works"].loc[dup, "work_id"]]
        .str.startswith("duplicate of")
        .all()
    )
    assert not loaded["current_codes"].duplicated(["work_id", "theme_id"]).any()


def test_the_run_draws_every_figure_from_its_tables(mini_review):
    run_dir = mini_review.paths.run("a").dir
    for name in ("prisma", "works_per_year", "themes_over_time", "places", "themes"):
        for ext in ("svg", "png"):
            assert (run_dir / "figures" / f"{name}.{ext}").stat().st_size > 1000, (name, ext)
    svg = (run_dir / "figures" / "prisma.svg").read_text(encoding="utf-8")
    n = read_run(run_dir)["meta"]["prisma"]
    for label, box in (("Records screened", "screened"), ("Duplicate records", "duplicates"),
                       ("Reports assessed for eligibility", "reports_assessed"),
                       ("Studies included in review", "included")):  # fmt: skip
        assert f"{label} (n = {n[box]})" in svg, label
    assert "<dc:date>" not in svg  # no timestamp
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    assert 'alt="PRISMA 2020 flow diagram' in html and "data:image/svg+xml;base64," in html
    # the theme network names the protocol's groups
    themes = (run_dir / "figures" / "themes.svg").read_text(encoding="utf-8")
    assert all(label in themes for label in ("potentials", "challenges", "strategies"))


def test_the_run_writes_claims_and_references(mini_review):
    run = read_run(mini_review.paths.run("a").dir)
    assert list(run["claims"]["claim_id"]) == ["SC1", "SC2", "SC3", "SC4"]
    assert set(run["claims"]["status"]) <= {"supported", "mixed", "not found"}
    assert len(run["references"]) == 3
    html = (mini_review.paths.run("a").dir / "report.html").read_text(encoding="utf-8")
    assert "Participatory Rural Appraisal" in html and "SC4" in html


def test_the_screening_notebook_builds_the_panel_for_the_reviewer_in_the_environment(
    mini_review, tmp_path, monkeypatch
):
    """The screening notebook runs headless (papermill) with the reviewer's name from
    $SLR_REVIEWER, never from the notebook, and builds the panel; the protocol and the latest
    run are found from the project, wherever the kernel starts."""
    monkeypatch.setenv("SLR_REVIEWER", "ana")
    monkeypatch.setenv("SLR_PROJECT", str(mini_review.project))
    out = tmp_path / "screening.ipynb"
    execute_notebook(
        notebook("02_screening.py"),
        out,
        {"protocol_path": "protocols/mini.yaml"},
        cwd=tmp_path,  # outside the project
    )
    nb = nbformat.read(out, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
    params = notebook("02_screening.py").read_text(encoding="utf-8")
    params = params.split('# %% tags=["parameters"]')[1].split("# %%")[0]
    assert "reviewer =" not in params and "ana" not in params  # no name in a tracked notebook


def test_an_executed_notebook_reopens_from_its_run_folder(mini_review, tmp_path, monkeypatch):
    """JupyterLab starts a kernel in the notebook's folder: the executed copies in
    ``<run>/notebooks/`` find the protocol and their own run from there."""
    monkeypatch.delenv("SLR_PROJECT", raising=False)
    run = RunPaths(mini_review.paths.run("a").dir)
    executed = run.notebooks / "02_screening.ipynb"
    nb = nbformat.read(executed, as_version=4)
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert 'protocol_path = "protocols/mini.yaml"' in injected.source
    assert 'run_dir = "."' in injected.source and "panel = False" in injected.source
    import papermill as pm

    out = tmp_path / "again.ipynb"
    pm.execute_notebook(str(executed), str(out), cwd=str(run.notebooks), kernel_name="python3",
                        progress_bar=False)  # fmt: skip
    again = nbformat.read(out, as_version=4)
    assert not [o for c in again.cells for o in c.get("outputs", []) if o.output_type == "error"]


def test_the_report_holds_no_notebook_leftovers_and_states_the_automations_error(mini_review):
    """What tells a person how to use a notebook stays in the notebook; the methods say how well
    the automated screening did on people's screening of the validation sample."""
    import html as html_lib
    import re

    page = (mini_review.paths.run("a").dir / "report.html").read_text(encoding="utf-8")
    text = html_lib.unescape(re.sub(r"<style.*?</style>|<script.*?</script>|<[^>]+>", " ", page,
                                    flags=re.S))  # fmt: skip
    for leftover in ("JupyterLab", "run all cells", "papermill", "Review the tags", " nan ",
                     "VBox(", "make lab", "SLR_REVIEWER"):  # fmt: skip
        assert leftover not in text, leftover
    combined = nbformat.read(RunPaths(mini_review.paths.run("a").dir).combined, as_version=4)
    assert not [
        o for c in combined.cells for o in c.get("outputs", [])
        if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
    ]  # fmt: skip
    assert "against people's screening of a stratified random sample" in text
    assert "validation sample (4 works, 2 included by people): recall 1.00" in text
    assert "the work waits for a person" in text


def test_the_report_is_a_systematic_review_write_up(mini_review):
    """Title, structured abstract, the answer to each question with certainty, the studies'
    appraisal, limitations, other information, and every PRISMA 2020 item mapped."""
    import html as html_lib
    import re

    run_dir = mini_review.paths.run("a").dir
    page = (run_dir / "report.html").read_text(encoding="utf-8")
    text = html_lib.unescape(re.sub(r"<style.*?</style>|<script.*?</script>|<[^>]+>", " ", page,
                                    flags=re.S))  # fmt: skip
    text = " ".join(text.split())
    assert re.search(r"<h1[^>]*>[^<]*: a systematic review", page)
    for heading in ("Background.", "Methods.", "Results.", "Conclusions.", "Rationale",
                    "Objectives", "Certainty of the findings", "Limitations",
                    "Registration and protocol.", "Competing interests."):  # fmt: skip
        assert heading in text, heading
    included = int(pd.read_csv(run_dir / "prisma.csv").set_index("box")["n"]["included"])
    assert f"{included} studies were included" in text
    assert re.search(r"Certainty (high|moderate|low|very low) \(", text)
    assert "macro-F1 against people's coding was" in text  # the mini review's coding sample
    studies = pd.read_csv(run_dir / "studies.csv")
    assert len(studies) == included and set(studies["concern"]) <= {"low", "some", "high"}
    items = checklist_table()["item"].str.extract(r"^(\d+)")[0].astype(int)
    assert sorted(set(items)) == list(range(1, 28))  # all 27 PRISMA 2020 items
    assert "Appendix: PRISMA 2020 checklist" in text and "Availability of data" in text
    assert re.search(r"— \d+ works \(\d+ from the title alone\)", text)


def test_long_tables_are_cut_in_the_report_with_a_link_to_the_whole_file(mini_review, monkeypatch):
    """A review of tens of thousands of records keeps a readable report: the appendix, the
    studies and each theme's works stop after a few rows and link to the run's full files."""
    run_dir = mini_review.paths.run("a").dir
    appendix = pd.read_csv(run_dir / "exports" / "appendix.csv")
    assert len(appendix) == 12 and appendix["status"].iloc[0] == "included"  # every record
    run = read_run(run_dir)
    whole = present.appendix_table(run).to_html()
    assert "all of them" not in whole and whole.count("<tr>") == 13  # header + 12 rows
    monkeypatch.setattr(present, "REPORT_ROWS", 3)
    monkeypatch.setattr(present, "THEME_WORKS", 1)
    cut = present.appendix_table(run).to_html()
    assert cut.count("<tr>") == 4
    assert (
        'The first 3 of 12 records (included first); all of them: <a href="exports/appendix.csv">'
        in cut
    )
    studies = present.studies_table(run).to_html()
    assert 'all of them: <a href="studies.csv">' in studies
    themes = present.theme_works_html(load_protocol(mini_review.protocol), run, "potential")
    assert "… and" in themes and 'href="current_codes.csv"' in themes
