"""The HorizontalPodAutoscaler controller, as it behaves without a metrics server.

With no metrics it cannot compute a recommendation, but it still keeps the target within
[minReplicas, maxReplicas]; a target scaled to 0 disables autoscaling. Its writes (the target's
replicas, the HPA status) are controller writes, not client requests.
"""
import copy

from . import meta

HPAS = ("autoscaling", "horizontalpodautoscalers")
DEPLOYMENTS = ("apps", "deployments")


class Autoscaler:
    def __init__(self, store):
        self.store = store

    def tick(self):
        with self.store.lock:
            for hpa in self.store.peek(HPAS):
                if not hpa["metadata"].get("deletionTimestamp"):
                    self._reconcile(hpa)

    def _reconcile(self, hpa):
        spec = hpa.get("spec") or {}
        namespace = hpa["metadata"]["namespace"]
        ref = spec.get("scaleTargetRef") or {}
        target = None
        if ref.get("kind") == "Deployment":
            target = self.store.peek_one(DEPLOYMENTS, namespace, ref.get("name"))
        old_status = hpa.get("status") or {}
        if target is None:
            status = {"currentReplicas": 0, "desiredReplicas": 0, "conditions": _conditions(old_status, [
                ("AbleToScale", "False", "FailedGetScale",
                 f'the HPA controller was unable to get the target\'s current scale: deployments.apps "{ref.get("name")}" not found')])}
        else:
            status = self._scale(hpa, target, spec, old_status)
        if status != old_status:
            updated = copy.deepcopy(hpa)
            updated["status"] = status
            self.store.put(HPAS, updated, "MODIFIED")

    def _scale(self, hpa, target, spec, old_status):
        current = (target.get("spec") or {}).get("replicas", 1)
        observed = (target.get("status") or {}).get("replicas", 0)
        if current == 0:
            return {"currentReplicas": observed, "desiredReplicas": 0, "conditions": _conditions(old_status, [
                ("AbleToScale", "True", "SucceededGetScale", "the HPA controller was able to get the target's current scale"),
                ("ScalingActive", "False", "ScalingDisabled", "scaling is disabled since the replica count of the target is zero")])}
        low, high = spec.get("minReplicas", 1), spec.get("maxReplicas", current)
        desired = min(max(current, low), high)
        status = {"currentReplicas": observed, "desiredReplicas": desired}
        if old_status.get("lastScaleTime"):
            status["lastScaleTime"] = old_status["lastScaleTime"]
        if desired != current:
            scaled = copy.deepcopy(target)
            scaled["spec"]["replicas"] = desired
            scaled["metadata"]["generation"] = scaled["metadata"].get("generation", 1) + 1
            self.store.put(DEPLOYMENTS, scaled, "MODIFIED")
            status["lastScaleTime"] = meta.now()
        limited = ("ScalingLimited", "True", "TooFewReplicas", "the desired replica count is less than the minimum replica count") \
            if current < low else ("ScalingLimited", "True", "TooManyReplicas", "the desired replica count is more than the maximum replica count") \
            if current > high else ("ScalingLimited", "False", "DesiredWithinRange", "the desired count is within the acceptable range")
        status["conditions"] = _conditions(old_status, [
            ("AbleToScale", "True", "ReadyForNewScale", "recommended size matches current size"),
            ("ScalingActive", "False", "FailedGetResourceMetric",
             "the HPA was unable to compute the replica count: no metrics returned from resource metrics API"),
            limited])
        return status


def _conditions(old_status, wanted):
    """Conditions keeping their lastTransitionTime while their status is unchanged."""
    old = {c["type"]: c for c in old_status.get("conditions") or []}
    out = []
    for kind, status, reason, message in wanted:
        previous = old.get(kind)
        if previous and previous.get("status") == status:
            stamp = previous["lastTransitionTime"]
        else:
            stamp = meta.now()
        out.append({"type": kind, "status": status, "lastTransitionTime": stamp, "reason": reason, "message": message})
    return out
