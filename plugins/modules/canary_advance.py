#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: progressive.canary contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: canary_advance
short_description: One step of a canary's analysis in one call (Flagger's tick), or all of them
version_added: "1.1.0"
description:
  - "One step of the analysis, as Flagger's scheduler makes it, in one module call: wait O(wait) seconds at the current
    weight keeping the run's lease, call the V(rollout) O(webhooks) and run the O(checks) (as
    M(progressive.canary.canary_analysis) does), ask the V(rollback) hooks (as M(progressive.canary.canary_webhook)),
    decide, ask the V(confirm-traffic-increase) gates, and set the weight (as M(progressive.canary.canary_shift))."
  - "The decision is the rollout role's (the P(progressive.canary.rollout_step#filter) filter): at weight 0 shift to the
    first of O(weights); else V(rollback) when the step failed and the failed checks reached O(threshold) or a rollback
    hook asks for it, V(hold) at the weight when it failed below the threshold, V(promote) when it passed at the last
    weight, else V(shift) to the next weight. A closed confirm-traffic-increase gate holds the weight. A step neither
    promotes nor rolls back: it returns the decision (use M(progressive.canary.canary_promote) or
    M(progressive.canary.canary_rollback), or O(finish))."
  - A canary that does not become ready before traffic reaches it (O(ready_timeout)) is decision V(rollback) too; a new
    revision arriving during the analysis restarts it at weight 0 (see RV(run)), as with canary_shift.
  - The canary is read once per step, after the wait (with O(repeat), the state and the route only by the first step;
    later ones write at the versions the previous step wrote). A healthy step writes the route and the state object once each;
    the lease's renewal rides on that state write when the run's lease (O(lease_holder)) is held. A failed step counts
    one failed check in the state instead. The checks' queries and the hooks are not Kubernetes requests.
  - Each call is one step, and calling again makes the next one (a tick, not a desired state). Once the decision is
    V(promote) or V(rollback), a call at the same weight writes nothing.
  - With O(repeat), an action plugin on the controller calls the module once per step until the decision is
    V(promote) or V(rollback) (or a step fails), printing each step's line as it ends. With O(finish) it also starts
    the analysis and promotes or rolls back as decided, calling the collection's other modules; the rollout role runs
    its whole release this way, in one task whatever the number of steps.
author:
  - progressive.canary developers (!UNKNOWN)
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - progressive.canary.common
  - progressive.canary.release
  - progressive.canary.routing
  - progressive.canary.webhooks
  - progressive.canary.analysis.checks
  - progressive.canary.alerts
  - progressive.canary.strategy
  - progressive.canary.strategy.shape
options:
  weights:
    description:
      - The step weights, increasing, between 1 and 100 (the last one is the weight promoted from), of a canary with step
        weights. Required without O(iterations); refused with it (A/B testing and Blue/Green count iterations instead).
    type: list
    elements: int
    default: []
  threshold:
    description: The failed checks (cumulative over the analysis, as Flagger counts them) that make the decision V(rollback).
    type: int
    required: true
  wait:
    description:
      - Seconds to wait at the current weight before the checks (the analysis interval); not waited at weight 0 nor in
        check mode. A wait longer than a third of O(lease_seconds) keeps the run's lease renewed meanwhile.
    type: int
    default: 0
  run:
    description:
      - The run record of the previous step (RV(run)); its C(weight) is where this step starts, its C(history) numbers
        the step. The rollout role passes its own. Empty, the step starts at the canary's recorded weight.
    type: dict
    default: {}
  repeat:
    description:
      - Make steps one after the other until the decision is V(promote) or V(rollback) or a step fails, each starting
        from the previous one's RV(run); each step's line is printed (to standard error) as it ends.
      - In check mode only one step is made.
      - Each step after the first plans from the state object and the route as the previous step wrote them (the API
        server's answers) instead of reading them again, and writes at their versions, so that a change by anyone else
        since is refused and the step reads and plans again. The target and the primary are read every step.
    type: bool
    default: false
  finish:
    version_added: "1.3.0"
    description:
      - Carry the run to its end (Flagger's whole tick), from the run record O(run) as the rollout role decides it, in
        this one task; implies O(repeat). By O(run)'s C(action)
      - "V(release): ask the V(confirm-rollout) gates at weight 0 (closed: RV(run) C(action) V(error), nothing changed),
        scale the canary up at the run's weight and wait until it is ready (as M(progressive.canary.canary_shift), a
        canary not ready within O(ready_timeout) rolls back), try the V(pre-rollout) hooks at weight 0 until they pass or
        the failed checks reach O(threshold) (as M(progressive.canary.canary_analysis), each try after the first waits
        O(wait) keeping the run's lease), promote at once with O(skip_analysis), else make the steps as O(repeat)."
      - "V(promote) (also the steps' decision): ask the V(confirm-promotion) gates (not with O(resuming); closed: roll
        back), promote (as M(progressive.canary.canary_promote) with O(step_weight_promotion), each weight held O(wait)),
        then call the V(post-rollout) hooks (their failure is only reported)."
      - "V(rollback) or V(tidy) (also the steps' decision): roll back (as M(progressive.canary.canary_rollback), with
        RV(run)'s C(reason)), then call the V(post-rollout) hooks when it rolled back. A failed rollback fails the task."
      - RV(run) ends with C(action) V(done) (C(outcome) V(promoted), V(rolled back) or V(unchanged)) or V(error) (the
        reason in C(reason) and C(msg); the task does not fail, a re-run resumes from the state object). A module that
        fails (an API error, the lease lost) ends it in V(error), and so does the end of the ansible-playbook that
        started the task, before any further call. Post-rollout hooks that fail and alerts that cannot be told are
        warnings.
      - A O(run) with any other C(action) (nothing to release, V(none); a run that has ended, V(done) or V(error)) is
        returned as it is, and nothing is called; the rollout role hands every run to this task.
      - In check mode, a O(run) whose C(action) is V(promote), V(rollback) or V(tidy) is planned by those modules in
        check mode; a V(release) is one step, as with O(repeat).
    type: bool
    default: false
  skip_analysis:
    version_added: "1.3.0"
    description: With O(finish), promote once the canary is scaled up (and the pre-rollout hooks passed), without steps.
    type: bool
    default: false
  resuming:
    version_added: "1.3.0"
    description:
      - With O(finish) and O(run)'s C(action) V(promote), the run finishes a promotion a killed run left; the
        V(confirm-promotion) gates are not asked again, and RV(run)'s C(resumed) notes it.
    type: bool
    default: false
  phase_before:
    version_added: "1.3.0"
    description:
      - With O(finish), the canary's phase when the run started, sent to the V(confirm-rollout) gates and named in the
        note of a resumed promotion.
    type: str
    default: Progressing
  step_weight_promotion:
    version_added: "1.3.0"
    description:
      - With O(finish), Flagger's C(stepWeightPromotion) for the promotion (see M(progressive.canary.canary_promote));
        0 promotes in one step.
    type: int
    default: 0
  written:
    description:
      - Set by the action plugin between the steps of a O(repeat) task (what the previous step wrote, as the API server
        answered); leave it unset. It is never part of the task's result.
    type: dict
  controller_pid:
    description:
      - Process id of the ansible-playbook running the task; set by the module's action plugin when the task runs on
        the controller. A step whose ansible-playbook has ended, before the step or while it waits its interval, stops
        there, failing, before its checks and writes, so that a killed run leaves nothing more done beside the next run.
    type: int
notes:
  - O(checksum), sent to the hooks, defaults to the canary's revision.
  - Check mode reads, runs the checks, asks the rollback hooks and gates (questions), decides and plans the shift;
    it does not wait, call the rollout hooks (actions) or write.
seealso:
  - module: progressive.canary.canary_analysis
  - module: progressive.canary.canary_shift
  - module: progressive.canary.canary_webhook
  - name: Flagger's canary analysis
    description: The iteration this module makes.
    link: https://docs.flagger.app/usage/how-it-works#canary-analysis
"""

EXAMPLES = r"""
- name: One step of the analysis of podinfo
  progressive.canary.canary_advance:
    target: podinfo
    namespace: test
    lease_holder: "release-{{ awx_job_id | default('manual') }}"
    weights: [10, 20, 30, 40, 50]
    threshold: 5
    wait: 60
    prometheus:
      url: http://prometheus.istio-system:9090
    checks:
      - name: request-success-rate
        threshold_range: {min: 99}
      - name: request-duration
        threshold_range: {max: 500}
  register: step

- name: All the steps, from where the canary stands, then promote or roll back
  progressive.canary.canary_advance:
    target: podinfo
    namespace: test
    weights: [10, 20, 30, 40, 50]
    threshold: 5
    wait: 60
    checks: "{{ canary_checks }}"
    prometheus: "{{ canary_prometheus }}"
    repeat: true
  register: analysis

- name: Promote
  progressive.canary.canary_promote:
    target: podinfo
    namespace: test
  when: analysis.next_action == 'promote'

- name: The whole release in one task - scale up, the steps, then promote or roll back, with the hooks and gates
  progressive.canary.canary_advance:
    target: podinfo
    namespace: test
    run: {action: release, weight: 0}
    finish: true
    weights: [10, 20, 30, 40, 50]
    threshold: 5
    wait: 60
    ready_timeout: 600
    checks: "{{ canary_checks }}"
    prometheus: "{{ canary_prometheus }}"
    webhooks: "{{ canary_webhooks }}"
  register: release
  failed_when: release.run.action == 'error'
"""

RETURN = r"""
next_action:
  description:
    - What comes after the (last) step - V(shift) or V(hold) (another step), V(promote), V(rollback) (also when the
      canary did not become ready), or V(error) (the step failed).
    - With O(finish), RV(run)'s C(action) at the end - V(done) or V(error); O(run)'s own when it carried nothing
      (V(none), V(done), V(error)).
  returned: always
  type: str
  sample: shift
decision:
  description: The decision in words, as the step's line ends (V(weight 30%), V(hold at 20%), V(promote), V(roll back)).
  returned: success
  type: str
  sample: weight 30%
line:
  description: The (last) step's progress line; empty for the step at weight 0, which checks nothing.
  returned: success
  type: str
  sample: "step 2 at weight 20%: request-success-rate=99.5 (>= 99.0) pass -> weight 30%"
lines:
  description:
    - Every step's line, in order (one unless O(repeat)).
    - With O(finish), the plan first (O(run)'s C(plan), printed as the run starts) when the run releases.
  returned: always
  type: list
  elements: str
steps:
  description: How many steps were made.
  returned: always
  type: int
  sample: 1
step_seconds:
  description: Each step's wall time in seconds (its wait included), in order.
  returned: always
  type: list
  elements: float
  sample: [0.21, 1.18, 1.17]
run:
  description:
    - The run record after the step (O(run) updated) - C(weight), C(step), C(revision), C(failed_checks), C(action),
      C(next_weight), C(decision), C(reason) (for V(rollback) and V(error)) and C(history), whose entries have the
      step, weight, verdict, each check's value and bounds, each hook's verdict and the step's C(line).
    - On a failed step, the record before it with C(action) V(error) and the failure as C(reason).
    - With O(finish), the record at the run's end (C(action) V(done) with C(outcome), or V(error)).
  returned: always
  type: dict
checks:
  description:
    - The rollout hooks' and checks' outcome as M(progressive.canary.canary_analysis) returns it (C(passed), C(checks),
      C(hooks), C(msg), C(state)); empty at weight 0 and when there are neither checks nor rollout hooks.
  returned: success
  type: dict
shift:
  description:
    - M(progressive.canary.canary_shift)'s result for the weight set (C(weight), C(phase), C(step), C(restarted),
      C(revision), C(actions)); on a failure its C(msg) (and C(ready=false) when the canary was not ready). Empty
      when the decision was V(promote) or V(rollback).
  returned: success
  type: dict
actions:
  description: What the steps wrote (or, in check mode, would write), in order.
  returned: always
  type: list
  elements: str
  sample: ["route 70/30 (primary/canary) in VirtualService test/podinfo", "record weight 30 in ConfigMap test/podinfo-canary-state"]
"""

from ansible_collections.progressive.canary.plugins.module_utils.arguments.advance import ARGUMENT_SPEC
from ansible_collections.progressive.canary.plugins.module_utils.canary_module import CanaryModule, failing
from ansible_collections.progressive.canary.plugins.module_utils.phases.advance import advance


def main():
    module = CanaryModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    with failing(module):
        result = advance(module.kube_api(), module.params, check_mode=module.check_mode, want_diff=module._diff)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
