# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Step builders that carry the collection's one write-guard policy (docs/lifecycle.md, "Write guards"):

- objects we generate: created when absent, else replaced (PUT) at the resourceVersion read, and only when their
  spec-hash differs: ``ensure_step``;
- objects we patch in place: a JSON patch whose first operation is a ``test`` from patch_guards.py, of the
  generation (``spec_unchanged``) for an object a controller writes status to, else of the resourceVersion
  (``unchanged_since_read``);
- the state object: a PUT at the resourceVersion read, through the lease (state.Lease.update).

A guard that fails (409, or 422 for a failed ``test``) means what was read is out of date: the driver reads and plans
again (driver.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.progressive.canary.plugins.module_utils.kube.generated import up_to_date
from ansible_collections.progressive.canary.plugins.module_utils.canary.names import is_managed
from ansible_collections.progressive.canary.plugins.module_utils.planning.plan import Refusal, Step


def ensure_steps(api, names, kind_pair, desired, live, step=Step):
    """The steps that make the generated object ``desired`` exist as asked: a create when ``live`` is None, a replace at
    ``live``'s resourceVersion when its spec-hash differs, none when it is up to date. Refusal for a live object of that
    name that is not ours for this target (never overwritten). ``step`` builds each step (a Step subclass may add fields)."""
    ref = names.ref(kind_pair, desired["metadata"]["name"])
    if live is None:
        return [step("create " + ref, lambda ctx: api.create(desired), after=desired)]
    if not is_managed(live, names.target):
        raise Refusal("%s already exists and was not created by progressive.canary for %s; rename or remove it" % (ref, names.target))
    if up_to_date(live, desired):
        return []
    body = copy.deepcopy(desired)
    body["metadata"]["resourceVersion"] = live["metadata"]["resourceVersion"]
    return [step("update " + ref, lambda ctx: api.replace(body), before=live, after=desired)]


def ensure_step(plan, api, names, kind_pair, desired, live):
    """Add to ``plan`` the steps of ensure_steps."""
    for planned in ensure_steps(api, names, kind_pair, desired, live):
        plan.add(planned)
