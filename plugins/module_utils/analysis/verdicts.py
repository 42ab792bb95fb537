# -*- coding: utf-8 -*-
# Copyright: progressive.canary contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The verdicts a check of the gate can have (gate.py, comparison.py). Only ``pass`` passes (and ``no data`` where a
check explicitly says ``on_no_data: pass``)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

PASS = "pass"
FAIL = "fail"
NO_DATA = "no data"
ERROR = "error"
VALID = "valid"     # validate_checks: the check can run (its query parsed by Prometheus); nothing was judged
