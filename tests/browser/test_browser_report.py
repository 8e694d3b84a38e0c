"""grades/report.html in Chromium: opened from the file (offline), its numbers those of gradebook.csv,
and 0 WCAG 2.1 A/AA violations by axe-core (`axe-playwright-python`)."""

from __future__ import annotations

import csv

import pytest

pytestmark = pytest.mark.browser
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@pytest.fixture(scope="module")
def report_page(copy_of_graded_desk_class, browser):
    """The class report in the session's Chromium (one Playwright per session: a second one would clash)."""
    out = copy_of_graded_desk_class / "grades"  # graded with workflow_helpers.DESK_GRADE
    context = browser.new_context(offline=True)  # the page must need nothing from a network
    page = context.new_page()
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto((out / "report.html").as_uri())
    yield page, out, requests
    context.close()


def test_the_report_passes_axe_wcag21_aa(report_page):
    from axe_playwright_python.sync_playwright import Axe

    page, _, _ = report_page
    results = Axe().run(page, options=WCAG)
    violations = results.response["violations"]
    assert violations == [], results.generate_report()
    assert results.response["passes"], "axe checked something"


def test_the_report_loads_nothing_and_shows_its_figures(report_page):
    page, _, requests = report_page
    assert [u for u in requests if not u.startswith(("file:", "data:"))] == []
    sizes = page.eval_on_selector_all("img", "imgs => imgs.map(i => [i.complete, i.naturalWidth, i.alt.length])")
    assert len(sizes) >= 3 and all(done and width > 100 and alt > 20 for done, width, alt in sizes), sizes


def test_the_numbers_shown_are_the_gradebooks(report_page):
    page, out, _ = report_page
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as f:
        book = [r for r in csv.DictReader(f) if r["status"] != "missing"]
    rows = page.eval_on_selector_all(
        "#ws-01-tiny-questions tbody tr", "trs => trs.map(tr => [...tr.cells].map(td => td.innerText.trim()))"
    )
    assert [r[0] for r in rows] == list(dict.fromkeys(r["question"] for r in book))
    for question, top, mean, full, partial, none, pending in rows:
        mine = [r for r in book if r["question"] == question]
        points = [float(r["points"]) for r in mine if r["points"]]
        assert mean == (f"{sum(points) / len(points):.2f}" if points else ""), question
        assert full.split()[0] == str(sum(p == float(top) for p in points)), question
        assert partial.split()[0] == str(sum(0 < p < float(top) for p in points)), question
        assert none.split()[0] == str(sum(p == 0 for p in points)), question
        assert pending == str(len(mine) - len(points)), question
    counts = page.inner_text("#ws-01-tiny-counts")
    students = {r["student"] for r in book}
    assert counts.startswith(f"{len(students)} submissions, 0 missing"), counts
