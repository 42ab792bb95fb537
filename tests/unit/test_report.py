"""The HTML report of a release (module_utils/report.py through the rollout_report filter), drawn from a run record the
scheduler built: a weight staircase through every step, each check against its threshold, nothing fetched."""
import re
import shutil
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.progressive.canary.plugins.filter.rollout_report import FilterModule as ReportFilters
from ansible_collections.progressive.canary.plugins.module_utils.scheduler import merged, next_step

SVG = "{http://www.w3.org/2000/svg}"
XHTML = "{http://www.w3.org/1999/xhtml}"


def _checks(rate, passed, failed_checks):
    return {"passed": passed, "state": {"failed_checks": failed_checks}, "hooks": [],
            "checks": [{"name": "request-success-rate", "value": rate, "verdict": "pass" if passed else "fail", "passed": passed,
                        "threshold_range": {"min": 99}, "reason": "rate %s" % rate},
                       {"name": "request-duration", "value": 120.0, "verdict": "pass", "passed": True,
                        "threshold_range": {"max": 500}, "reason": ""}]}


def _released_run():
    """Weights 20, 40, 60 every 30s: 20 passes, 40 fails once (held), then passes, 60 passes: promote."""
    run = {"started": 1000.0, "interval_seconds": 30, "history": [], "weight": 0, "failed_checks": 0,
           "plan": "plan: canary release of revision r2"}
    steps = [(1030, 20, (100.0, True, 0)), (1060, 40, (92.5, False, 1)), (1090, 40, (99.9, True, 1)), (1120, 60, (99.5, True, 1))]
    for now, weight, (rate, passed, failed) in steps:
        at_weight = dict(run, weight=weight)
        run = merged(at_weight, next_step(at_weight, [20, 40, 60], 3, _checks(rate, passed, failed), {"skipped": True}, now=now))
    assert run["action"] == "promote"
    return run


def _page():
    report = ReportFilters().filters()["rollout_report"]
    result = {"outcome": "promoted", "duration_seconds": 150.0, "summary": ["canary test/podinfo: promoted", "step 1 of 3 <x>"]}
    return report(_released_run(), "test/podinfo", result)


def test_the_report_draws_the_weight_staircase_and_each_check_against_its_threshold():
    page = _page()
    root = ET.fromstring(page.split("\n", 1)[1])  # well-formed XHTML after the doctype
    svgs = root.findall(".//%ssvg" % SVG)
    assert [svg.get("class") for svg in svgs] == ["weights", "check", "check"]
    staircase = svgs[0].find("%spolyline" % SVG).get("points").split()
    # start at 0, each of the 4 steps a rise and a hold, back to 0 at the end: 1 + 2*4 + 2 points
    assert len(staircase) == 11
    ys = [float(point.split(",")[1]) for point in staircase]
    assert ys[0] == ys[-1] and ys[3] == ys[4] == ys[5] == ys[6], "40% held through its failed step and its retry"
    assert [c.get("class") for c in svgs[0].findall("%scircle" % SVG)] == ["step pass", "step fail", "step pass", "step pass"]
    rate = svgs[1]
    assert rate.findall("%sline[@class='threshold']" % SVG), "the bound min 99 is drawn"
    assert [c.get("class") for c in rate.findall("%scircle" % SVG)] == ["value pass", "value fail", "value pass", "value pass"]
    assert "step 2: 92.5 fail" in [t.text for t in rate.iter("%stitle" % SVG)]
    assert root.find(".//%spre" % XHTML).text.endswith("step 1 of 3 <x>"), "text is escaped, not markup"


def test_the_report_fetches_nothing():
    page = _page()
    assert not re.search(r"\b(src|href)\s*=", page) and "<script" not in page and "@import" not in page and "url(" not in page
    assert set(re.findall(r"https?://[^\"' ]+", page)) == {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xhtml"}


def _browser():
    for name in ("chromium", "chromium-browser", "google-chrome", "firefox"):
        if shutil.which(name):
            return shutil.which(name)
    return None


def test_the_report_renders_in_a_headless_browser(tmp_path):
    browser = _browser()
    if browser is None:
        pytest.skip("no headless browser installed (chromium, google-chrome or firefox); the page is checked as XHTML above")
    import subprocess  # pylint: disable=import-outside-toplevel
    page = tmp_path / "report.html"
    page.write_text(_page(), encoding="utf-8")
    if "firefox" in browser:
        shot = tmp_path / "shot.png"
        subprocess.run([browser, "--headless", "--screenshot", str(shot), page.as_uri()], check=True, timeout=120)
        assert shot.stat().st_size > 0
        return
    dom = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, check=True, timeout=120).stdout
    assert dom.count("<svg") == 3 and "Canary weight over time" in dom
