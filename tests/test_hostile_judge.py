"""Cheating the checks in one's own kernel: every submission here has WRONG answers and a trick that makes
checks run inside the kernel pass. The control grades them judged in the kernel (`judge="kernel"`, what
nbgrader and otter do): each trick gains points there, even with the guard on. Judged outside the
kernel (`judge="items"`, the default), none gains a single point.

Uses the small worksheet of `hostile_worksheet.py`.
"""

from __future__ import annotations

import hostile_worksheet as H
import pytest

from coursegrad.grading import batch, judge, scan

NOOP = "(lambda *args, **kwargs: None).__code__"

CHEATS = {
    # a check function's code replaced: the guard restores functions by identity, and this one is the same object
    "code_patch": f"import coursegrad.checks\ncoursegrad.checks.expect_close.__code__ = {NOOP}",
    # re-patching from inside a function the test calls, after the guard ran
    "repatch_in_gate": f"def gate(x):\n    import coursegrad.checks\n    coursegrad.checks.expect_close.__code__ = {NOOP}\n"
    "    return 0.0",
    # a thread that keeps re-patching the check
    "thread": "import threading, coursegrad.checks\n"
    "def _again():\n    while True:\n        coursegrad.checks.expect_close = lambda *a, **k: None\n"
    "threading.Thread(target=_again, daemon=True).start()",
    # the kernel's message sending patched: errors vanish, failed replies say ok, results say full points
    "messages": """from jupyter_client.session import Session
_send = Session.send
def _forged(self, stream, msg_or_type, content=None, parent=None, *args, **kwargs):
    if msg_or_type == "error":
        return None
    if msg_or_type == "execute_reply" and content and content.get("status") == "error":
        content = dict(content, status="ok")
    if msg_or_type == "execute_result" and content:
        content = dict(content, data={"text/plain": "2.0"})
    return _send(self, stream, msg_or_type, content, parent, *args, **kwargs)
Session.send = _forged""",
    # %precision turns the partial-credit number into text, which nbgrader's rule reads as full points
    "precision": "get_ipython().run_line_magic('precision', '%.1f points')",
    # an obfuscated import the keyword scan does not see
    "obfuscated": "_m = __import__(''.join(['cours', 'egrad.che', 'cks']), fromlist=['_'])\n"
    f"getattr(_m, 'expect_' + 'close').__code__ = {NOOP}",
}


def hostile(name: str):
    nb = H.wrong()
    if name == "repatch_in_gate":
        return H.answered(answer="answer = 1.0", gate=CHEATS[name])
    return H.with_cell(nb, "setup", CHEATS[name])


@pytest.fixture(scope="module")
def judged(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("judge")
    src = H.write_source(tmp)
    subs = H.write_class(tmp / "subs", {name: hostile(name) for name in CHEATS} | {"honest": H.correct()})
    run = {}
    for mode in ("kernel", "items"):
        results = batch.grade_folder(src, subs, jobs=2, progress=False, timeout=10, judge=mode)
        run[mode] = {r.student: r for r in results}
    return run


@pytest.mark.parametrize("cheat", sorted(CHEATS))
def test_the_cheat_gains_points_judged_in_the_kernel_and_none_judged_outside(judged, cheat):
    assert judged["kernel"][cheat].total > 0, f"control: {cheat} should fool checks run in the kernel"
    assert judged["items"][cheat].total == 0, [(q.grade_id, q.points, q.messages) for q in judged["items"][cheat].questions]
    assert judged["items"][cheat].status == "graded"


def test_the_obfuscated_import_escapes_the_keyword_scan():
    assert scan.suspicious([CHEATS["obfuscated"]]) == []  # ... which is why the scan only flags, never scores


def test_honest_work_scores_the_same_either_way(judged):
    for mode in ("kernel", "items"):
        assert judged[mode]["honest"].total == 3.0
        assert [q.status for q in judged[mode]["honest"].questions] == ["passed", "passed", "manual"]


def test_the_checks_own_output_is_kept_as_hints(judged):
    t_b = next(q for q in judged["items"]["code_patch"].questions if q.grade_id == "t_b")
    assert t_b.messages[:2] == ["✗ gate(1.0): not right yet", "✗ gate(-3.0): not right yet"]


def test_what_leaves_the_kernel_is_checked_data():
    text = "'" + __import__("base64").b64encode(b'[{"value": [1, 2.5, "x", null, true]}]').decode() + "'"
    assert judge.parse(text, 1) == [{"value": [1, 2.5, "x", None, True]}]
    for bad in ("'not base64!'", "b'AAAA'", "'" + "A" * 8 + "'", "1.0", text.replace("'", '"')):
        assert "error" in judge.parse(bad, 1)[0]
    pickled = "'" + __import__("base64").b64encode(__import__("pickle").dumps([{"value": 1}])).decode() + "'"
    assert "error" in judge.parse(pickled, 1)[0]
    assert "error" in judge.parse(text, 2)[0]  # the wrong number of results


def test_matching_rules():
    assert judge.matches(1.0 + 1e-7, 1.0) and not judge.matches(1.0 + 1e-5, 1.0)
    assert judge.matches(0.0, 1e-10) and not judge.matches(float("nan"), float("nan"))
    assert not judge.matches(float("inf"), float("inf")) and not judge.matches([1.0], [1.0, 2.0])
    assert judge.matches(" a ", "a") and not judge.matches(1, True) and not judge.matches(True, 1)
    assert judge.matches([[1, 2], [3, 4]], [[1.0, 2.0], [3.0, 4.0]]) and not judge.matches([1, 2], 1)
    points, lines = judge.score(
        [{"name": "a", "points": 1}, {"name": "b", "points": 0.5}],
        [{"value": 1}, {"value": 2}],
        [{"value": 1}, {"error": "E: x"}],
    )
    assert points == 1 and lines == ["✓ a", "✗ b: E: x"]
