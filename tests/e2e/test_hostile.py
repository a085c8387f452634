"""A hostile record (script in its title, an escaped script that cleaning unescapes, a DOI that
closes its attribute, spreadsheet formulas) and a hostile file name reach every output as text:
escaped in the report, neutralised in every CSV for people, unchanged in the parquet."""

import json
import re
from html.parser import HTMLParser

import pandas as pd
import pytest
from helpers import write_mini_project

from slr.cli import main
from slr.tables.contracts import WORKS
from slr.tables.io import read_run, read_table

HOSTILE = (
    "TY  - JOUR\n"
    "TI  - <script>alert('title')</script> Village cooperative enterprise and social capital\n"
    'AU  - =HYPERLINK("http://evil.example","click")\n'
    "AB  - &lt;img src=x onerror=alert('abstract')&gt; The village cooperative enterprise builds "
    "social capital and trust in the community business. +cmd|' /C calc'!A0 closes it.\n"
    "KW  - =cmd|' /C calc'!A0\n"
    "DO  - 10.1234/x\"><script>alert('doi')</script>\n"
    "UR  - javascript:alert('url')\n"
    "PY  - 2021\n"
    "LA  - en\n"
    "ER  - \n"
)
FILE_NAME = "<img src=x onerror=alert('file')>.ris"


class _Tags(HTMLParser):
    """Every start tag and its attributes, as a browser would build them."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    project = write_mini_project(tmp_path_factory.mktemp("hostile"), seed_article=True)
    extra = project / FILE_NAME
    extra.write_text(HOSTILE, encoding="utf-8")
    protocol = project / "protocols" / "mini.yaml"
    assert main(["-q", "run", str(protocol), "--run-id", "h", "--add-source", str(extra)]) == 0
    run_dir = project / "outputs" / "mini" / "h"
    export = project / "asreview.csv"
    assert main(["export", str(protocol), str(export)]) == 0
    return run_dir, export


def test_the_report_shows_hostile_text_and_runs_none_of_it(hostile_run):
    run_dir, _ = hostile_run
    page = (run_dir / "report.html").read_text(encoding="utf-8")
    parser = _Tags()
    parser.feed(page)
    # the template's own scripts carry no alert; no tag of ours runs anything
    scripts = [a for t, a in parser.tags if t == "script"]
    assert not any("alert(" in json.dumps(a) for a in scripts)
    assert "alert('title')</script>" not in page and "<img src=x" not in page
    handlers = [(t, k) for t, a in parser.tags for k in a if k.lower().startswith("on")]
    assert handlers == []
    hrefs = [a.get("href", "") for t, a in parser.tags if t == "a"]
    assert not any(h.strip().lower().startswith("javascript") for h in hrefs)
    assert all(h.startswith(("https://", "http://", "#")) for h in hrefs), hrefs
    # … and the hostile record is in the report, as text
    for shown in ("&lt;script&gt;alert(", "&lt;img src=x onerror="):
        assert shown in page
    assert re.search(r"alert\(.file.\)", page)  # the file name, escaped, in the summary


def test_every_csv_for_people_neutralises_formulas_and_the_parquet_keeps_them(hostile_run):
    run_dir, export = hostile_run
    run = read_run(run_dir)
    hostile = run["works"][run["works"]["title"].str.contains("alert", na=False)]
    assert len(hostile) == 1
    assert hostile["keywords"].iloc[0] == ["=cmd|' /C calc'!A0"]  # the parquet: as it came
    for path in (run_dir / "works.csv", run_dir / "codes.csv", export):
        cells = pd.read_csv(path, dtype=str, keep_default_na=False).to_numpy().ravel()
        starts = [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
        assert starts == [], (path.name, starts[:3])
    works_csv = (run_dir / "works.csv").read_text(encoding="utf-8")
    assert "'=cmd|" in works_csv and "'=HYPERLINK(" in works_csv
    # read back through the contract, the CSV holds the parquet's values
    from_csv = read_table(run_dir / "works.csv", WORKS)
    pd.testing.assert_frame_equal(from_csv, run["works"])
