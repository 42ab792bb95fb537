# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The deployment strategy options (canary_advance); specified by plugins/module_utils/arguments/strategy.py
(STRATEGY). docs/strategies.md describes each strategy and what each provider routes."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  iterations:
    description:
      - "Flagger's C(analysis.iterations): the passing steps of an A/B test (with O(match)) or of a Blue/Green test
        (without it) before the decision is V(promote); 0 (the default) is a canary with step weights (O(weights))."
      - "The first step scales the canary up and routes in the strategy's shape without checks; every later passing step is
        one iteration, recorded in the state (C(iterations), C(iterations_total), C(strategy)). A failed step counts one
        failed check and holds."
      - "Blue/Green: no user request reaches the canary during the iterations (the hooks and load tests reach it
        through its C(-canary) Service, or O(mirror) copies); the promotion then moves all traffic to it while the
        primary takes its template."
    type: int
    default: 0
"""

    PROMOTION = r"""
options:
  step_weight_promotion:
    description:
      - "Flagger's C(analysis.stepWeightPromotion): once the primary runs the new revision and is ready, traffic goes back
        to it by this many percent at a time (from all on the canary when the promotion moved it there, else from the
        canary's weight), each weight held O(interval) seconds, instead of at once. 0 (the default): at once."
    type: int
    default: 0
  interval:
    description: Seconds each weight of a stepped promotion is held (the analysis interval), keeping the lease renewed.
    type: int
    default: 60
"""

    SHAPE = r"""
options:
  match:
    description:
      - "A/B testing (Flagger's C(analysis.match)): a route before the managed one sends the requests matching one of
        these conditions to the canary only; every other request follows the managed route (the primary).
        M(progressive.canary.canary_advance) needs C(iterations) with it (the passing steps before the promotion);
        M(progressive.canary.canary_shift) routes it at the weight it sets, its caller counting the iterations."
      - "Each condition is C({headers: {NAME: {exact|prefix|regex: VALUE}}}); a cookie is matched on the header
        C(cookie), for example C({headers: {cookie: {regex: '^(.*?;)?(canary=always)(;.*)?$'}}}). Every regex must compile."
      - "Refused with provider V(openshift) (a Route has no header match); with V(gatewayapi) a prefix is refused (an
        HTTPRoute header match is Exact or RegularExpression)."
    type: list
    elements: dict
    default: []
  mirror:
    description:
      - "Flagger's C(analysis.mirror): the canary receives a copy of the managed route's requests, whose answers the proxy
        drops. canary_advance mirrors during every Blue/Green iteration, or in one step at weight 0 before a canary's
        first weight; canary_shift at the weight it sets. Not with O(match). Refused with provider V(openshift)."
    type: bool
    default: false
  mirror_weight:
    description:
      - "The percentage of the requests mirrored (Flagger's C(mirrorWeight)); unset, every request. Only with O(mirror)."
    type: int
  session_affinity:
    description:
      - "Flagger's C(analysis.sessionAffinity), for a canary with step weights (not with O(match) nor C(iterations)):
        while the canary has a weight, its answers set the cookie C(cookie_name) (its value derived from the revision)
        and a route sends the cookie's holders to the canary, so a user who reached it stays on it. Once the weight is 0
        again (promotion, rollback) the holders get the cookie back with C(Max-Age=-1), which drops it. Refused with
        provider V(openshift)."
    type: dict
    suboptions:
      cookie_name:
        description: The cookie's name.
        type: str
        required: true
      max_age:
        description: The cookie's C(Max-Age) in seconds.
        type: int
        default: 86400
"""
