"""The course for a student who uses a screen reader or the keyboard (issue 23), checked in Chromium.

- Every page of the static site (`python3 run.py site`) has 0 axe-core violations of WCAG 2.0/2.1 A and AA.
- A drawing's accessible name and description, as Chromium computes them from its role="img", <title> and
  <desc>, say the graph before and after backprop, and the stepper's frame says the current step.
- One explorer (the backprop stepper of lecture 2) works from the keyboard alone: Tab reaches its slider,
  an arrow key moves the backward pass one step and the drawing's description follows.
- Its controls have the names a screen reader says (Chromium's accessibility tree, read through the DevTools
  protocol): the slider "step", the buttons Play / Pause and Stop; its readout is a polite live region; every
  slider of lecture 4's explorers says its label and its readout's value (a log slider too).
- Each lecture run in JupyterLab: 0 axe violations in what the course's outputs add to the page.
"""

from __future__ import annotations

import pytest

from coursegrad import Value, draw
from coursegrad.site import build_site, course_pages

pytestmark = pytest.mark.browser

AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
SITE_PAGES = ["index.html", *(p.stem + ".html" for p in course_pages())]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    build_site(out)
    return out


@pytest.fixture
def page(browser_context):
    page = browser_context.new_page()
    yield page
    page.close()


def axe_violations(page, context=None) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    response = Axe().run(page, context=context, options=AXE_OPTIONS).response
    return [f"{v['id']}: {n['target']} {n['failureSummary'][:160]}" for v in response["violations"] for n in v["nodes"]]


@pytest.mark.parametrize("name", SITE_PAGES)
def test_every_site_page_has_no_axe_violations(site, page, name):
    page.goto((site / name).as_uri())
    assert page.locator("main").count() == 1 and page.title()
    assert axe_violations(page) == []


def test_site_pages_link_to_each_other_and_load_nothing_from_the_network(site, page):
    requested = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto((site / "index.html").as_uri())
    links = page.get_by_role("navigation", name="Course contents").get_by_role("link")
    assert links.count() == len(SITE_PAGES) - 1
    links.first.click()
    page.get_by_role("link", name="Contents").wait_for()
    assert page.get_by_role("link", name="Next:", exact=False).count() == 1
    assert all(url.startswith(("file:", "data:")) for url in requested), [u for u in requested if not u.startswith("file:")]


def _shown(page, drawings) -> None:
    head = "<!DOCTYPE html><html lang='en'><head><title>drawings</title></head>"
    page.set_content(head + "<body><main>" + "".join(drawings) + "</main></body></html>")


def test_drawings_say_the_graph_before_and_after_backprop_and_the_current_step(page):
    from playwright.sync_api import expect

    from coursegrad.widgets import BackpropStepper

    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    f = (x + y) * z
    before = draw(f).svg
    stepper = BackpropStepper(f)  # runs the backward pass
    stepper.sliders["step"].value = 1
    frame = stepper.graph.value  # the HTML the explorer shows: the drawing of step 1
    after = draw(f).svg
    _shown(page, [before, after, frame])
    images = page.get_by_role("img")
    assert images.count() == 3
    expect(images.nth(0)).to_have_accessible_name("Computational graph")
    expect(images.nth(0)).to_have_accessible_description(
        "Computational graph, inputs on the left, output on the right. Inputs: x = -2, y = 5, z = -4. "
        "The + gate takes x and y and gives 3. The × gate takes the + gate and z and gives -12: the output. "
        "No gradients yet (call .backward())."
    )
    description = images.nth(1).evaluate("el => el.querySelector('desc').textContent")
    assert "x: -4; y: -4; the + gate: -4; z: 3; the × gate: 1." in description
    expect(images.nth(2)).to_have_accessible_name(f"Computational graph: Backprop step 1 of {len(stepper.trace)}")
    step = images.nth(2).evaluate("el => el.querySelector('desc').textContent")
    assert "Current step: the × gate (highlighted)" in step and "Not known yet: x, y." in step
    assert axe_violations(page) == []


STEPPER_LECTURE = next(p for p in course_pages() if p.name.startswith("02_"))


@pytest.mark.notebook(STEPPER_LECTURE)
def test_the_stepper_works_from_the_keyboard_alone(lab):
    notebook = lab.executed(STEPPER_LECTURE)
    steppers = [e for e in notebook.explorers() if e["kind"] == "coursegrad-backprop-stepper"]
    assert steppers, "lecture 2 shows no backprop stepper"
    explorer = notebook.explorer(steppers[0])
    explorer.scroll_into_view_if_needed()
    play = explorer.locator(".coursegrad-play button").first
    play.focus()  # the play button, then Tab: the keyboard reaches the slider
    page = notebook.page
    for _ in range(6):
        page.keyboard.press("Tab")
        if explorer.locator(".noUi-handle:focus").count():
            break
    assert explorer.locator(".noUi-handle:focus").count() == 1, "Tab from the play button never reached the step slider"
    handle = explorer.locator(".noUi-handle:focus")
    at_end = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
    graph = explorer.locator(".coursegrad-graph")
    before = graph.inner_html()
    page.keyboard.press("ArrowLeft" if at_end else "ArrowRight")
    page.wait_for_function("([el, before]) => el.innerHTML !== before", arg=[graph.element_handle(), before], timeout=30_000)
    step = int(float(handle.get_attribute("aria-valuenow")))
    description = graph.locator("svg[role='img'] desc").text_content()
    assert ("Current step:" in description) == (step > 0), (step, description)


def _stepper(lab):
    notebook = lab.executed(STEPPER_LECTURE)
    steppers = [e for e in notebook.explorers() if e["kind"] == "coursegrad-backprop-stepper"]
    return notebook, notebook.explorer(steppers[0])


def chromium_ax(page, selector: str, role: str | None = None) -> list[dict]:
    """What Chromium's accessibility tree (what a screen reader reads) holds under the element `selector`:
    with `role`, every node of that role in its subtree; without, the element's own node."""
    cdp = page.context.new_cdp_session(page)
    try:
        root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        assert node, f"no element {selector!r}"
        if role:
            return cdp.send("Accessibility.queryAXTree", {"nodeId": node, "role": role})["nodes"]
        return cdp.send("Accessibility.getPartialAXTree", {"nodeId": node, "fetchRelatives": False})["nodes"][:1]
    finally:
        cdp.detach()


def ax_name(node: dict) -> str:
    return node.get("name", {}).get("value", "")


def ax_property(node: dict, name: str):
    return next((p["value"].get("value") for p in node.get("properties", []) if p["name"] == name), None)


@pytest.mark.notebook(STEPPER_LECTURE)
def test_the_stepper_controls_have_names_a_screen_reader_announces(lab):
    from playwright.sync_api import expect

    notebook, explorer = _stepper(lab)
    explorer.scroll_into_view_if_needed()
    where = f"[data-coursegrad-test-id='{explorer.get_attribute('data-coursegrad-test-id')}']"
    expect(explorer.get_by_role("slider", name="step")).to_have_count(1)
    expect(explorer.get_by_role("button", name="Play")).to_have_count(1)
    sliders = chromium_ax(notebook.page, where, "slider")
    assert [ax_name(n) for n in sliders] == ["step"]
    readout = explorer.locator(".widget-slider .widget-readout").inner_text().strip()
    # Chromium's DevTools protocol leaves valuetext blank for every ARIA slider (checked on a plain
    # <div role="slider" aria-valuetext="0.01">), so the attribute it maps to the platform's value is read
    assert explorer.get_by_role("slider", name="step").get_attribute("aria-valuetext") == readout
    buttons = [ax_name(n) for n in chromium_ax(notebook.page, where, "button") if not ax_property(n, "hidden")]
    assert buttons[:2] == ["Play", "Stop"], buttons
    explorer.get_by_role("button", name="Stop").press("Enter")  # from the keyboard: back to step 0
    explorer.get_by_role("button", name="Play").press("Enter")
    expect(explorer.get_by_role("button", name="Pause")).to_have_count(1)  # the same button, now says what it does
    expect(explorer.get_by_role("slider", name="step")).not_to_have_attribute("aria-valuenow", "0.0")  # it plays
    explorer.get_by_role("button", name="Pause").press("Space")
    expect(explorer.get_by_role("button", name="Play")).to_have_count(1)


@pytest.mark.notebook(STEPPER_LECTURE)
def test_the_stepper_readout_is_a_live_region_that_follows_the_keyboard(lab):
    """A screen reader reads a polite live region when its text changes: the readout says the new step."""
    notebook, explorer = _stepper(lab)
    box = explorer.locator(".coursegrad-readout .widget-html-content")
    test_id = explorer.get_attribute("data-coursegrad-test-id")
    where = f"[data-coursegrad-test-id='{test_id}'] .coursegrad-readout .widget-html-content"
    node = chromium_ax(notebook.page, where)[0]
    assert (ax_property(node, "live"), ax_property(node, "atomic")) == ("polite", True), node.get("properties")
    handle = explorer.get_by_role("slider", name="step")
    at_end = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
    before = box.inner_text()
    handle.focus()
    notebook.page.keyboard.press("ArrowLeft" if at_end else "ArrowRight")
    notebook.wait_for_change(box, before, "innerText")
    for _ in range(50):  # the handle and the readout settle one after the other (a kernel round trip apart)
        step, after = int(float(handle.get_attribute("aria-valuenow"))), box.inner_text()
        if f"step {step} of" in after:
            break
        notebook.page.wait_for_timeout(200)
    assert f"step {step} of" in after and after != before
    assert ax_property(chromium_ax(notebook.page, where)[0], "live") == "polite"


LECTURES = [p for p in course_pages() if p.parent.name == "lectures"]
SLIDERS_LECTURE = next(p for p in LECTURES if p.name.startswith("04_"))


@pytest.mark.notebook(SLIDERS_LECTURE)
def test_every_explorer_slider_says_its_name_and_the_value_its_readout_shows(lab):
    """A log slider's handle holds the exponent (-2 for 0.01): it says the readout's value instead."""
    notebook = lab.executed(SLIDERS_LECTURE)
    for found in notebook.explorers():
        explorer = notebook.explorer(found)
        where = f"[data-coursegrad-test-id='{found['id']}']"
        labels = explorer.locator(".widget-slider .widget-label").all_inner_texts()
        readouts = explorer.locator(".widget-slider .widget-readout").all_inner_texts()
        sliders = chromium_ax(notebook.page, where, "slider")
        assert [ax_name(n) for n in sliders] == [t.strip() for t in labels] and sliders, found
        said = explorer.locator(".noUi-handle").evaluate_all("hs => hs.map(h => h.getAttribute('aria-valuetext'))")
        assert said == [t.strip() for t in readouts], found  # (what valuetext holds: see the test above)


@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.stem)
def test_lecture_outputs_in_jupyterlab_have_no_axe_violations(lab, path):
    """axe on what the course's own outputs add to JupyterLab's page (its interface is not ours to fix)."""
    notebook = lab.executed(path)
    found = axe_violations(notebook.page, context={"include": [[".jp-OutputArea-output"]]})
    assert found == []
