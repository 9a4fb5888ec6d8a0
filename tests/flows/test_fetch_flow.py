"""Fetch and ingest in one Prefect flow run, against a real HTTP server on 127.0.0.1; the command and the schedule."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from conftest import run, sql
from news_site import NewsSite, municipal_routes, write_sources

from flows.cli import main
from pipeline.store.check import check
from pipeline.store.schemas import TABLES

DOCUMENTS = "SELECT doc_id, url, fetched_at, title, published, text, source_path FROM documents ORDER BY url"


def counts(out) -> dict[str, int]:
    return {name: sql(out, f"SELECT count(*) FROM {name}")[0][0] for name in TABLES}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A run with --sources, the same again from the command line, then a run over the WARC files alone."""
    folder = tmp_path_factory.mktemp("fetch-flow")
    raw, out = folder / "raw", folder / "out"
    with NewsSite({}) as site:
        site.routes.update(municipal_routes(site))
        sources = write_sources(folder / "sources.yaml", site)
        state = run(raw, out, sources=sources, return_state=True)
        first = state.result()
        after_first = counts(out)
        n_first = len(site.log)
        exit_code = main(["run", "--sources", sources, "--raw", str(raw), "--output", str(out), "--json"])
        after_second = counts(out)
        second_log = site.log[n_first:]
    alone = run(raw, folder / "alone")
    return SimpleNamespace(site=site, raw=raw, out=out, alone=folder / "alone", first=first, state=state,
                           after_first=after_first, after_second=after_second, exit_code=exit_code,
                           second_log=second_log, alone_summary=alone)


def test_fetch_then_ingest_in_one_flow_run(runs):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
    from prefect.client.schemas.sorting import TaskRunSort

    async def task_names():
        async with get_client() as client:
            flow_run_id = runs.state.state_details.flow_run_id
            tasks = await client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])),
                                                sort=TaskRunSort.EXPECTED_START_TIME_ASC, limit=100)
            return {t.name.rsplit("-", 1)[0] for t in tasks}

    assert {"fetch-sources", "read-batch", "analyse-batch"} <= asyncio.run(task_names())
    assert runs.first["fetch"]["fetched"] == 9 and runs.first["fetch"]["failed"] == 4  # the summary says so
    assert runs.first["new"] == 5


def test_fetched_pages_are_documents_with_their_url_fetch_time_title_and_date(runs):
    documents = sql(runs.out, DOCUMENTS)
    urls = [d[1].replace(runs.site.origin, "") for d in documents]
    assert urls == ["/nyheter/bibliotek", "/nyheter/budget", "/nyheter/cykelvag", "/nyheter/dialogmote",
                    "/overbelastad"]
    by_url = {d[1].replace(runs.site.origin, ""): d for d in documents}
    _, _, fetched_at, title, published, text, source_path = by_url["/nyheter/dialogmote"]
    assert title == "Dialogmöte om nya skolan i Exempelby"
    assert str(published) == "2026-03-12"
    assert fetched_at is not None
    assert source_path.startswith("kommunnlp-") and ".warc.gz#" in source_path
    assert "Mötet hålls i kommunhuset den 24 mars" in text
    for chrome in ("Hoppa till huvudinnehållet", "kakor", "Kontakta oss", "Storgatan 1", "Dela sidan"):
        assert chrome not in text  # menus, cookie banner and footer by trafilatura; "Dela sidan" by the chrome list
    assert sql(runs.out, "SELECT DISTINCT source_format FROM documents") == [("warc",)]
    metadata = sql(runs.out, "SELECT metadata_json FROM documents WHERE url LIKE '%dialogmote'")[0][0]
    assert '"municipality": "Exempel"' in metadata and '"source": "exempel-rss"' in metadata


def test_the_fetches_table_has_a_row_per_url_and_the_checks_pass(runs):
    first_run = sql(runs.out, "SELECT run_id FROM runs ORDER BY run_id")[0][0]
    outcomes = dict(sql(runs.out, f"SELECT outcome, count(*) FROM fetches WHERE run_id = '{first_run}' GROUP BY 1"))
    assert outcomes == {"fetched": 9, "failed": 4, "disallowed": 1, "skipped": 1}
    assert sql(runs.out, "SELECT count(*) FROM fetches WHERE outcome = 'failed' AND reason IS NULL") == [(0,)]
    missing = sql(runs.out, "SELECT status, reason FROM fetches WHERE url LIKE '%/saknas'")
    assert missing[0] == (404, "HTTP 404 Not Found")
    report = check(runs.out)
    assert report.ok, report.format()
    assert any("fetches" in what for what, _ in report.checks)


def test_a_second_run_over_unchanged_sources_asks_conditionally_and_adds_nothing(runs):
    assert runs.exit_code == 0
    pages = [r for r in runs.second_log if r.path.startswith("/nyheter/")]
    assert pages and all(r.headers.get("if-none-match") for r in pages)
    changed = {name for name in TABLES if runs.after_second[name] != runs.after_first[name]}
    assert changed == {"runs", "fetches"}  # its runs row and its fetches rows, nothing else
    last_run = sql(runs.out, "SELECT run_id, n_new FROM runs ORDER BY run_id")[-1]
    assert last_run[1] == 0
    outcomes = dict(sql(runs.out, f"SELECT outcome, count(*) FROM fetches WHERE run_id = '{last_run[0]}' GROUP BY 1"))
    assert outcomes == {"not_modified": 8, "failed": 4, "disallowed": 1, "skipped": 1}


def test_a_run_over_the_warc_files_alone_gives_the_same_documents_with_their_urls(runs):
    assert runs.alone_summary["new"] == 5 and runs.alone_summary["quarantined"] == 0
    assert sql(runs.alone, DOCUMENTS) == sql(runs.out, DOCUMENTS)
    assert sql(runs.alone, "SELECT count(*) FROM fetches") == [(0,)]


def test_kommunnlp_fetch_writes_warc_files_and_prints_the_outcomes(tmp_path, capsys):
    with NewsSite({}) as site:
        site.routes.update(municipal_routes(site))
        sources = write_sources(tmp_path / "sources.yaml", site)
        assert main(["fetch", sources, "--raw", str(tmp_path / "raw")]) == 0
    printed = capsys.readouterr().out
    assert "15 URLs: 9 fetched, 0 not modified, 4 failed, 1 disallowed, 1 skipped" in printed
    assert "/saknas: HTTP 404 Not Found" in printed
    assert len(list((tmp_path / "raw").glob("kommunnlp-*.warc.gz"))) == 1


def test_a_broken_sources_file_stops_the_command_before_anything_runs(tmp_path, capsys):
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources: []\n")
    command = ["run", "--sources", str(sources), "--raw", str(tmp_path / "raw"), "--output", str(tmp_path / "o")]
    assert main(command) == 2
    assert "user_agent is required" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_schedule_with_sources_deploys_the_fetch_and_ingest_flow(tmp_path):
    from prefect.client.orchestration import get_client

    from flows.schedule import make_deployment

    sources = tmp_path / "sources.yaml"
    deployment = make_deployment("test-fetch-morning", "0 6 * * *", str(tmp_path / "raw"), str(tmp_path / "out"),
                                 sources=str(sources))
    deployment_id = deployment.apply()

    async def read():
        async with get_client() as client:
            return await client.read_deployment(deployment_id)

    stored = asyncio.run(read())
    assert stored.parameters["sources"] == str(sources)
    assert stored.parameters["input_dir"] == str((tmp_path / "raw").resolve())
    assert [s.schedule.cron for s in stored.schedules] == ["0 6 * * *"]
    assert stored.description.startswith("Fetch ")
