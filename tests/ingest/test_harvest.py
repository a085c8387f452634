"""Harvest against a local replay server on 127.0.0.1: real recorded OpenAlex responses, recorded
works split into pages, injected 429/500s, truncated pages and the recorded 400 error bodies."""

import json
import time
from pathlib import Path

import pytest
from helpers import make_protocol, shared
from replay import ReplayServer

from slr.errors import HarvestError
from slr.ingest.harvest import harvest, harvest_source, read_frozen
from slr.ingest.openalex import HarvestSettings, query_url
from slr.layout import ReviewPaths

pytestmark = pytest.mark.usefixtures("loopback_only")


def _settings(server: ReplayServer, **kw) -> HarvestSettings:
    return HarvestSettings(base_url=server.url, backoff_factor=0, **kw)


@pytest.fixture
def cassettes() -> Path:
    return shared("openalex", "recorded-api", "vcr_cassettes_json")


def _works_requests(server):
    return [r for r in server.requests if r.path == "/works"]


def test_recorded_single_page_harvest_is_saved_unchanged(tmp_path, cassettes, loopback_only):
    p = make_protocol(tmp_path, filter={"openalex": "W3045921891|W3046863325"})
    with ReplayServer(cassettes) as server:
        manifest = harvest_source(p.sources[0], p, settings=_settings(server))
    assert manifest["meta_count"] == 2 and manifest["n_unique"] == 2 and manifest["count_matches"]
    assert len(_works_requests(server)) == 1  # every counted work in: no terminal request
    folder = ReviewPaths.of(p).harvest("oa")
    bodies = {
        i["response"]["body_string"].encode()
        for f in cassettes.glob("*.json")
        for i in json.loads(f.read_text(encoding="utf-8"))["http_interactions"]
    }
    assert (folder / "page_0001.json").read_bytes() in bodies  # byte for byte
    assert manifest["pyalex_version"] and manifest["protocol_hash"] == p.hash
    assert "per_page" not in manifest["url"] and manifest["url"].startswith(server.url)
    assert {a[0] for a in loopback_only} == {"127.0.0.1"}
    records, m = read_frozen(ReviewPaths.of(p).harvest("oa"))
    assert len(records) == 2 and records[0].locator == "page_0001.json results[0]"


def test_multi_page_harvest_pages_at_200_and_checks_the_count(tmp_path, works_351):
    p = make_protocol(tmp_path, filter={"publication_year": 2020})
    with ReplayServer() as server:
        server.add_listing(filter="publication_year:2020", works=works_351)
        manifest = harvest_source(p.sources[0], p, settings=_settings(server))
    assert [pg["n_results"] for pg in manifest["pages"]] == [200, 151]
    assert manifest["n_unique"] == 351 and manifest["count_matches"]
    reqs = _works_requests(server)
    assert len(reqs) == 2
    assert all("per_page=200" in r.query for r in reqs)
    assert "cursor=%2A" in reqs[0].query and "cursor=c200" in reqs[1].query
    assert all("include_xpac=true" in r.query for r in reqs)


def test_no_10000_cap(tmp_path):
    works = [{"id": f"https://openalex.org/W{n}", "title": f"work {n}"} for n in range(10_250)]
    p = make_protocol(tmp_path, search="village")
    with ReplayServer() as server:
        server.add_listing(search="village", works=works)
        manifest = harvest_source(p.sources[0], p, settings=_settings(server))
    assert manifest["n_unique"] == 10_250 and manifest["count_matches"]
    assert len(manifest["pages"]) == 52


def test_429_and_500_are_retried(tmp_path, works_351):
    p = make_protocol(tmp_path, filter={"publication_year": 2020})
    with ReplayServer() as server:
        server.add_listing(
            filter="publication_year:2020", works=works_351, fail_pages={2: [429, 500, 503]}
        )
        server.fail_next(429, headers={"Retry-After": "0"})
        manifest = harvest_source(p.sources[0], p, settings=_settings(server))
    assert manifest["n_unique"] == 351
    statuses = [r.status for r in _works_requests(server)]
    assert statuses == [429, 200, 429, 500, 503, 200]


def test_persistent_500_keeps_pages_and_resume_completes_without_duplicates(tmp_path, works_351):
    p = make_protocol(tmp_path, filter={"publication_year": 2020})
    with ReplayServer() as server:
        listing = server.add_listing(
            filter="publication_year:2020", works=works_351, per_page=200, fail_pages={2: [500] * 3}
        )
        with pytest.raises(
            HarvestError,
            match=r"oa: page 2: HTTP 500 .*gave up after 2 retries; saved pages are kept",
        ):
            harvest_source(p.sources[0], p, settings=_settings(server, max_retries=2))
        partial = ReviewPaths.of(p).harvest_partial("oa")
        assert json.loads((partial / "manifest.json").read_text())["pages"][0]["n_results"] == 200
        assert not (ReviewPaths.of(p).harvest("oa")).exists()
        listing.fail_pages.clear()
        before = len(server.requests)
        manifest = harvest_source(p.sources[0], p, settings=_settings(server))
    resumed = server.requests[before:]
    assert len(resumed) == 1 and "cursor=c200" in resumed[0].query  # page 1 was not fetched again
    assert (
        manifest["n_results"] == 351 and manifest["n_repeated"] == 0 and manifest["count_matches"]
    )
    assert not partial.exists()
    ids = [r.data["id"] for r in read_frozen(ReviewPaths.of(p).harvest("oa"))[0]]
    assert len(ids) == len(set(ids)) == 351


def test_real_first_page_interruption_resume_and_count_check(
    tmp_path, cassettes, works_351, caplog
):
    """The recorded first page (meta.count 429) is real; the API recording stops there, so the
    harvest is interrupted at page 2. Its continuation is served from the other recorded works
    (151 of them): the resumed harvest completes and reports that 351 ≠ meta.count 429."""
    from replay import _key

    p = make_protocol(
        tmp_path,
        filter={
            "title_and_abstract.search": "biodiversity AND finance",
            "to_publication_date": "2010-01-01",
        },
    )
    with ReplayServer(cassettes) as server:
        with pytest.raises(HarvestError, match=r"page 2: HTTP 404"):
            harvest_source(p.sources[0], p, settings=_settings(server))
        partial = ReviewPaths.of(p).harvest_partial("oa")
        page1 = json.loads((partial / "page_0001.json").read_text(encoding="utf-8"))
        assert len(page1["results"]) == 200 and page1["meta"]["count"] == 429
        cursor = page1["meta"]["next_cursor"]
        first_ids = {w["id"] for w in page1["results"]}
        rest = [w for w in works_351 if w["id"] not in first_ids]
        body = {
            "meta": {"count": 429, "page": None, "per_page": 200, "next_cursor": None},
            "results": rest,
        }
        q = f"filter=title_and_abstract.search:biodiversity AND finance,to_publication_date:2010-01-01&cursor={cursor}"
        server.state.recorded[_key("/works", q)] = (200, json.dumps(body).encode())
        manifest = harvest_source(p.sources[0], p, settings=_settings(server))
    assert manifest["meta_count"] == 429
    assert manifest["n_unique"] == 351 and manifest["n_repeated"] == 0
    assert manifest["count_matches"] is False
    assert "harvested 351 works but meta.count said 429" in caplog.text


def _frozen(p) -> dict[str, bytes]:
    folder = ReviewPaths.of(p).harvest(p.sources[0].id)
    return {f.name: f.read_bytes() for f in sorted(folder.glob("page_*.json"))}


def test_every_fault_is_asked_again_and_the_corpus_equals_a_clean_harvest(
    tmp_path, works_351, caplog
):
    """429, 5xx, a reset connection, a server that trickles, truncated JSON, an oversized page
    and a page with records that are not works: each is asked for again, nothing of it is
    saved, and the frozen pages are those of a harvest that met no fault."""
    (tmp_path / "clean").mkdir(), (tmp_path / "faulty").mkdir()
    clean = make_protocol(tmp_path / "clean", filter={"publication_year": 2020})
    faulty = make_protocol(tmp_path / "faulty", filter={"publication_year": 2020})
    settings = dict(per_page=100, deadline=1.5, max_bytes=4 * 2**20)
    with ReplayServer() as server:
        server.add_listing(filter="publication_year:2020", works=works_351)
        harvest_source(clean.sources[0], clean, settings=_settings(server, **settings))
    with ReplayServer() as server:
        server.add_listing(
            filter="publication_year:2020",
            works=works_351,
            trickle_seconds=0.4,
            oversized_bytes=8 * 2**20,
            faults={1: ["429", "reset"], 2: ["trickle", "truncated"], 3: ["oversized", "malformed"], 4: ["500"]},
        )  # fmt: skip
        manifest = harvest_source(faulty.sources[0], faulty, settings=_settings(server, **settings))
    assert manifest["n_unique"] == 351 and manifest["count_matches"]
    assert _frozen(faulty) == _frozen(clean) and len(_frozen(clean)) == 4
    for said in ("the answer broke off", "no complete answer within 1.5 s", "is not valid JSON",
                 "larger than 4 MB", "result 2 is not a work"):  # fmt: skip
        assert said in caplog.text


def test_a_page_that_stays_malformed_never_replaces_a_good_harvest(tmp_path, works_351):
    p = make_protocol(tmp_path, filter={"publication_year": 2020})
    with ReplayServer() as server:
        server.add_listing(filter="publication_year:2020", works=works_351)
        harvest_source(p.sources[0], p, settings=_settings(server))
    good = _frozen(p)
    with ReplayServer() as server:
        server.add_listing(
            filter="publication_year:2020", works=works_351, faults={2: ["malformed"] * 6}
        )
        with pytest.raises(
            HarvestError, match=r"oa: page 2: result 2 is not a work .*asked 6 times.*resume"
        ):
            harvest_source(p.sources[0], p, settings=_settings(server))
    assert _frozen(p) == good
    assert len(read_frozen(ReviewPaths.of(p).harvest("oa"))[0]) == 351


@pytest.mark.parametrize(
    "source,message",
    [
        (
            {"filter": {"DOESNTEXIST": 1}},
            "DOESNTEXIST is not a valid field. Valid fields are underscore",
        ),
        ({"filter": {"publication_year": 2020}, "select": ["DOESNTEXIST"]}, None),
    ],
)
def test_recorded_400_errors_are_explained(tmp_path, cassettes, source, message):
    p = make_protocol(tmp_path, **source)
    with ReplayServer(cassettes) as server:
        if message is None:  # the select error is recorded for a singleton; serve its body
            body = json.loads(
                json.loads((cassettes / "opt_select_fields.json").read_text())["http_interactions"][
                    0
                ]["response"]["body_string"]
            )
            server.fail_next(400, body)
            message = (
                "DOESNTEXIST is not a valid select field. Valid fields for select are: id, doi"
            )
        with pytest.raises(HarvestError) as e:
            harvest_source(p.sources[0], p, settings=_settings(server))
    assert "HTTP 400" in str(e.value) and message in str(e.value)
    assert "fix the source's filter/search/select in the protocol" in str(e.value)


def test_401_names_the_key_variable(tmp_path, cassettes):
    body = json.loads(
        json.loads((cassettes / "pro_rate_limit_status_401.json").read_text())["http_interactions"][
            0
        ]["response"]["body_string"]
    )
    p = make_protocol(tmp_path, filter={"publication_year": 2020})
    with ReplayServer() as server:
        server.fail_next(401, body)
        with pytest.raises(
            HarvestError, match="HTTP 401 .*API key not found .*set OPENALEX_API_KEY"
        ):
            harvest_source(p.sources[0], p, settings=_settings(server))


def test_offline_fails_fast_and_keeps_the_frozen_corpus(tmp_path, works_351):
    p = make_protocol(tmp_path, filter={"publication_year": 2020})
    with ReplayServer() as server:
        server.add_listing(filter="publication_year:2020", works=works_351)
        harvest_source(p.sources[0], p, settings=_settings(server))
    frozen = ReviewPaths.of(p).harvest("oa") / "page_0001.json"
    before = frozen.read_bytes()
    t0 = time.monotonic()
    with pytest.raises(
        HarvestError, match="cannot reach http://127.0.0.1:9 .*frozen corpus is unchanged"
    ):
        harvest_source(p.sources[0], p, settings=HarvestSettings(base_url="http://127.0.0.1:9"))
    assert time.monotonic() - t0 < 10
    assert frozen.read_bytes() == before


def test_credentials_in_the_base_url_are_never_written(tmp_path, works_351):
    p = make_protocol(tmp_path, filter={"publication_year": 2020})
    with ReplayServer() as server:
        server.add_listing(filter="publication_year:2020", works=works_351)
        host = server.url.removeprefix("http://")
        base = f"http://us3rn4me:pa55word@{host}/?api_key=SECRETKEY&mailto=me@example.org"
        harvest_source(p.sources[0], p, settings=HarvestSettings(base_url=base, backoff_factor=0))
    written = "".join(
        f.read_text(encoding="utf-8") for f in ReviewPaths.of(p).corpus.rglob("*.json")
    )
    assert written and f"http://{host}" in written
    for secret in ("pa55word", "us3rn4me", "SECRETKEY", "me@example.org"):
        assert secret not in written


def test_the_key_and_email_never_follow_a_redirect_to_another_host(tmp_path, works_351):
    p = make_protocol(tmp_path, filter={"publication_year": 2020})
    with ReplayServer() as asked, ReplayServer() as other:
        for server in (asked, other):
            server.add_listing(filter="publication_year:2020", works=works_351)
        asked.state.redirect_to = other.url  # the first request is sent on to another host
        settings = _settings(asked, api_key="KEY123", email="me@example.org")
        harvest_source(p.sources[0], p, settings=settings)
    first = asked.requests[0].headers
    assert first["Authorization"] == "Bearer KEY123" and first["From"] == "me@example.org"
    elsewhere = other.requests[0].headers
    assert "Authorization" not in elsewhere and "From" not in elsewhere


def test_secrets_are_sent_as_headers_and_never_written(tmp_path, works_351, monkeypatch):
    monkeypatch.setenv("OPENALEX_API_KEY", "sekrit-key-123")
    monkeypatch.setenv("OPENALEX_EMAIL", "reviewer@example.org")
    p = make_protocol(tmp_path, filter={"publication_year": 2020})
    with ReplayServer() as server:
        server.add_listing(filter="publication_year:2020", works=works_351)
        monkeypatch.setenv("SLR_OPENALEX_URL", server.url)
        harvest(p, settings=HarvestSettings.from_env(backoff_factor=0))
    headers = _works_requests(server)[0].headers
    assert headers["Authorization"] == "Bearer sekrit-key-123"
    assert headers["From"] == "reviewer@example.org"
    assert all("sekrit" not in r.query for r in server.requests)
    for f in ReviewPaths.of(p).corpus.rglob("*"):
        if f.is_file():
            text = f.read_text(encoding="utf-8")
            assert "sekrit" not in text and "reviewer@example.org" not in text


def test_rerun_replaces_the_frozen_pages_and_tampering_is_detected(tmp_path, works_351):
    p = make_protocol(tmp_path, filter={"publication_year": 2020})
    with ReplayServer() as server:
        server.add_listing(filter="publication_year:2020", works=works_351[:150])
        harvest_source(p.sources[0], p, settings=_settings(server))
        server.add_listing(filter="publication_year:2020", works=works_351)
        manifest = harvest_source(p.sources[0], p, settings=_settings(server))
    assert manifest["n_unique"] == 351
    assert len(read_frozen(ReviewPaths.of(p).harvest("oa"))[0]) == 351
    page = ReviewPaths.of(p).harvest("oa") / "page_0002.json"
    page.write_bytes(page.read_bytes().replace(b'"results"', b'"results" ', 1))
    with pytest.raises(HarvestError, match="changed since it was harvested"):
        read_frozen(ReviewPaths.of(p).harvest("oa"))


def test_query_url_is_owned_by_slr(tmp_path):
    p = make_protocol(
        tmp_path,
        search="gotong royong",
        filter={"publication_year": "2000-2026"},
        select=["id", "title"],
    )
    url = query_url(p.sources[0], base_url="http://127.0.0.1:1234/prefix")
    assert url.startswith("http://127.0.0.1:1234/prefix/works?")
    assert "filter=publication_year:2000-2026" in url and "search=gotong+royong" in url
    assert "select=id,title" in url and url.endswith("include_xpac=true")


def test_harvested_pages_feed_the_offline_run(mini_project, works_351):
    from slr.cli import main
    from slr.tables.io import read_run

    with ReplayServer() as server:
        server.add_listing(filter="title.search:village enterprise", works=works_351[:30])
        assert (
            main(
                [
                    "-q",
                    "harvest",
                    str(mini_project / "protocols" / "mini.yaml"),
                    "--base-url",
                    server.url,
                ]
            )
            == 0
        )
    assert (
        main(
            [
                "-q",
                "run",
                str(mini_project / "protocols" / "mini.yaml"),
                "--run-id",
                "h",
                "--no-report",
            ]
        )
        == 0
    )
    run = read_run(mini_project / "outputs" / "mini" / "h")
    assert run["meta"]["prisma"]["identified:oa"] == 30
    oa = run["works"][run["works"]["source_id"] == "oa"]
    assert oa["work_id"].str.match(r"^W\d+$").all()
    assert oa["source_record"].iloc[0] == "openalex/oa: page_0001.json results[0]"
