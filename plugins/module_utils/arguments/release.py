# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options of the release phases (canary_shift, canary_promote, canary_rollback), documented by the
progressive.canary.release doc fragment (plugins/doc_fragments/release.py); tests/unit/test_arguments.py pins one to
the other."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Unset (None) or 0: the Deployment's own progress deadline (workload.py).
RELEASE = {"ready_timeout": {"type": "int"}}
