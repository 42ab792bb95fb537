# -*- coding: utf-8 -*-
# Copyright: progressive.canary contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A picture of a release: one self-contained HTML page (inline CSS and SVG, no script, nothing fetched) drawn from
the rollout role's run record (``__rollout_run``: its history of steps, scheduler.py) and result (run_result.py).

- the canary's weight over time, a staircase from 0 through each step's weight to the end (back to 0: promoted or
  rolled back, the primary serves everything), a failed step marked red;
- per check, its value at each step against its threshold (dashed lines at the bounds), a failed value red;
- the summary lines and a table of every step.

The page is well-formed XML (XHTML), so a test can parse it without a browser."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import functools
import html

# xml.sax.saxutils.escape's output (&, <, >); not that module, which imports urllib.request and http.client into every
# worker that loads the rollout_report filter.
escape = functools.partial(html.escape, quote=False)

WIDTH, HEIGHT, MARGIN = 720, 240, 48
STYLE = """body{font-family:sans-serif;margin:2em;color:#222}h1{font-size:1.3em}h2{font-size:1.1em;margin-top:1.5em}
table{border-collapse:collapse;font-size:.9em}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}
.fail{color:#c00}.pass{color:#080}svg{background:#fafafa;border:1px solid #ddd}pre{white-space:pre-wrap}"""


def _steps(run):
    return [entry for entry in run.get("history") or [] if "weight" in entry]


def _times(steps):
    """Each step's time in seconds since the run started (its index, in intervals, for an entry without it)."""
    return [float(entry.get("elapsed_seconds", index + 1)) for index, entry in enumerate(steps)]


def _scale(low, high, out_low, out_high, value):
    """``value`` in [low, high] mapped onto [out_low, out_high] (the middle when the range is empty)."""
    if high == low:
        return (out_low + out_high) / 2.0
    return out_low + (float(value) - low) * (out_high - out_low) / (high - low)


def _axes(x_label, y_label, y_ticks):
    parts = ['<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#888"/>' % (MARGIN, HEIGHT - MARGIN, WIDTH - 10, HEIGHT - MARGIN),
             '<line x1="%d" y1="10" x2="%d" y2="%d" stroke="#888"/>' % (MARGIN, MARGIN, HEIGHT - MARGIN),
             '<text x="%d" y="%d" font-size="11" text-anchor="end">%s</text>' % (WIDTH - 10, HEIGHT - 12, escape(x_label)),
             '<text x="4" y="20" font-size="11">%s</text>' % escape(y_label)]
    for y, label in y_ticks:
        parts.append('<text x="%d" y="%.1f" font-size="10" text-anchor="end">%s</text>' % (MARGIN - 4, y + 3, escape(label)))
    return parts


def weight_svg(run, duration):
    """The canary weight over time: a staircase through every step, a dot per step (red when it failed)."""
    steps = _steps(run)
    times = _times(steps)
    end = max([float(duration or 0)] + times) or 1.0
    x = functools.partial(_scale, 0, end, MARGIN, WIDTH - 10)
    y = functools.partial(_scale, 0, 100, HEIGHT - MARGIN, 10)
    points, previous = [(0.0, 0)], 0.0
    for time_at, entry in zip(times, steps):
        # The weight was set when the step before it ended, and held until this step was checked.
        points.extend([(previous, entry["weight"]), (time_at, entry["weight"])])
        previous = time_at
    points.extend([(previous, 0), (end, 0)])
    parts = _axes("seconds since the start (%ds)" % end, "canary weight %",
                  [(y(weight), "%d" % weight) for weight in (0, 25, 50, 75, 100)])
    parts.append('<polyline class="weights" fill="none" stroke="#0076d7" stroke-width="2" points="%s"/>'
                 % " ".join("%.1f,%.1f" % (x(t), y(w)) for t, w in points))
    for time_at, entry in zip(times, steps):
        parts.append('<circle class="step %s" cx="%.1f" cy="%.1f" r="4" fill="%s"><title>%s</title></circle>'
                     % ("pass" if entry.get("passed") else "fail", x(time_at), y(entry["weight"]),
                        "#080" if entry.get("passed") else "#c00", escape(entry.get("line") or "")))
    return _svg("weights", parts)


def _svg(name, parts):
    return ('<svg xmlns="http://www.w3.org/2000/svg" class="%s" width="%d" height="%d" viewBox="0 0 %d %d" role="img">%s</svg>'
            % (name, WIDTH, HEIGHT, WIDTH, HEIGHT, "".join(parts)))


def check_names(run):
    names = []
    for entry in _steps(run):
        for check in entry.get("checks") or []:
            if check.get("name") not in names:
                names.append(check.get("name"))
    return names


def check_svg(run, name):
    """One check's value per step against its bounds (dashed), a failed value red, no data as a hollow mark at 0."""
    measured = [(index + 1, check) for index, entry in enumerate(_steps(run))
                for check in entry.get("checks") or [] if check.get("name") == name]
    numbers = [check["value"] for _step, check in measured if isinstance(check.get("value"), (int, float))]
    bounds = [check[key] for _step, check in measured for key in ("min", "max") if isinstance(check.get(key), (int, float))]
    low, high = min(numbers + bounds + [0]), max(numbers + bounds + [1])
    high += (high - low) * 0.1
    count = max(len(_steps(run)), 1)
    x = functools.partial(_scale, 0, count + 1, MARGIN, WIDTH - 10)
    y = functools.partial(_scale, low, high, HEIGHT - MARGIN, 10)
    parts = _axes("step", name, [(y(value), "%g" % round(value, 2)) for value in sorted(set([low, high] + bounds))])
    for bound in sorted(set(bounds)):
        parts.append('<line class="threshold" x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#c60" stroke-dasharray="6,4"/>'
                     % (MARGIN, y(bound), WIDTH - 10, y(bound)))
    line = [(x(step), y(check["value"])) for step, check in measured if isinstance(check.get("value"), (int, float))]
    if line:
        parts.append('<polyline fill="none" stroke="#999" points="%s"/>' % " ".join("%.1f,%.1f" % point for point in line))
    for step, check in measured:
        value = check.get("value")
        failed = check.get("verdict") != "pass"
        parts.append('<circle class="value %s" cx="%.1f" cy="%.1f" r="4" fill="%s" stroke="%s"><title>step %d: %s %s</title></circle>'
                     % ("fail" if failed else "pass", x(step), y(value if isinstance(value, (int, float)) else low),
                        "none" if not isinstance(value, (int, float)) else ("#c00" if failed else "#080"),
                        "#c00" if failed else "#080", step, escape(str(value if value is not None else "no data")),
                        escape(str(check.get("verdict")))))
    return _svg("check", parts)


def _table(run):
    names = check_names(run)
    rows = ["<tr><th>step</th><th>weight</th><th>verdict</th>%s</tr>" % "".join("<th>%s</th>" % escape(str(n)) for n in names)]
    for index, entry in enumerate(_steps(run)):
        values = dict((check.get("name"), check) for check in entry.get("checks") or [])
        cells = []
        for name in names:
            check = values.get(name) or {}
            verdict = "pass" if check.get("verdict") == "pass" else "fail"
            cells.append('<td class="%s">%s</td>' % (verdict, escape(str(check.get("value", "")))))
        rows.append('<tr><td>%d</td><td>%s%%</td><td class="%s">%s</td>%s</tr>'
                    % (index + 1, entry["weight"], "pass" if entry.get("passed") else "fail",
                       "pass" if entry.get("passed") else "fail", "".join(cells)))
    return "<table>%s</table>" % "".join(rows)


def render(run, canary, result):
    """The report's page for canary ``namespace/target`` from the run record and the role's result."""
    result = result or {}
    title = "canary %s: %s" % (canary, result.get("outcome") or run.get("outcome") or "")
    body = ["<h1>%s</h1>" % escape(title)]
    if run.get("plan"):
        body.append("<p>%s</p>" % escape(run["plan"]))
    body.append("<h2>Canary weight over time</h2>" + weight_svg(run, result.get("duration_seconds")))
    for name in check_names(run):
        body.append("<h2>%s</h2>%s" % (escape(str(name)), check_svg(run, name)))
    body.append("<h2>Steps</h2>" + _table(run))
    body.append("<h2>Summary</h2><pre>%s</pre>" % escape("\n".join(result.get("summary") or [])))
    return ('<!DOCTYPE html>\n'
            '<html xmlns="http://www.w3.org/1999/xhtml" lang="en"><head><meta charset="utf-8"/><title>%s</title>'
            '<style>%s</style></head><body>%s</body></html>\n' % (escape(title), STYLE, "".join(body)))
