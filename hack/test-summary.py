#!/usr/bin/env python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Print one closing line summing the JUnit reports of a `make test` run (tests/output/junit/*.xml).

Usage: test-summary.py [DIR]; exits 1 when any test failed or errored, or when no test ran at all.
"""
import glob
import os
import sys
from xml.etree import ElementTree


def totals(directory):
    """(passed, failed, skipped) over every <testsuite> of every report in directory."""
    tests = failed = skipped = 0
    for path in sorted(glob.glob(os.path.join(directory, "*.xml"))):
        for suite in ElementTree.parse(path).getroot().iter("testsuite"):
            tests += int(suite.get("tests", 0))
            failed += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
            skipped += int(suite.get("skipped", 0))
    return tests - failed - skipped, failed, skipped


def main(argv):
    """Print the summary line; the exit status says whether the run is green."""
    directory = argv[1] if len(argv) > 1 else os.path.join("tests", "output", "junit")
    passed, failed, skipped = totals(directory)
    sys.stdout.write("pytest: %d passed, %d failed, %d skipped\n" % (passed, failed, skipped))
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
