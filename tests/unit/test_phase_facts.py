"""PhaseFacts.read_once (planning/driver.py): an object a plan reads as it builds is asked for once per facts, so a
plan built again from the same facts (under the caller's run's own lease) does not ask again; each plan gets its own
copy, so what one plan does with it never shows in the next."""
from ansible_collections.progressive.canary.plugins.module_utils.planning.driver import PhaseFacts


def test_an_object_read_while_planning_is_asked_for_once_and_each_plan_gets_its_own_copy():
    asked = []

    def read():
        asked.append(1)
        return {"spec": {"selector": {"app": "podinfo"}}}

    facts = PhaseFacts()
    first = facts.read_once(("v1", "Service", "test", "podinfo"), read)
    first["spec"]["selector"]["app"] = "changed by the first plan"
    again = facts.read_once(("v1", "Service", "test", "podinfo"), read)
    assert asked == [1] and again == {"spec": {"selector": {"app": "podinfo"}}}


def test_absent_objects_are_remembered_and_fresh_facts_read_again():
    asked = []

    def absent():
        asked.append(1)

    facts = PhaseFacts()
    assert facts.read_once("hpa", absent) is None and facts.read_once("hpa", absent) is None
    assert PhaseFacts().read_once("hpa", absent) is None
    assert len(asked) == 2, "once per facts: facts read again (a plan after a stale write) read it again"
