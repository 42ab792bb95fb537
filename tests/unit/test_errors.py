"""Every error a module reports derives from the one base, keeps its message, and carries result fields."""
import pytest

from ansible_collections.progressive.canary.plugins.module_utils.analysis.gate import AnalysisConfigError
from ansible_collections.progressive.canary.plugins.module_utils.canary_module import failing
from ansible_collections.progressive.canary.plugins.module_utils.kube.connection import CanaryApiError, ConflictError
from ansible_collections.progressive.canary.plugins.module_utils.analysis.durations import DurationError
from ansible_collections.progressive.canary.plugins.module_utils.errors import CanaryError, reworded
from ansible_collections.progressive.canary.plugins.module_utils.canary.names import CanaryNames
from ansible_collections.progressive.canary.plugins.module_utils.planning.plan import Refusal
from ansible_collections.progressive.canary.plugins.module_utils.analysis.prometheus_api import PrometheusConnectionError, PrometheusError
from ansible_collections.progressive.canary.plugins.module_utils.canary.state import CanaryLeaseHeld, LeaseLost, StateError
from ansible_collections.progressive.canary.plugins.module_utils.canary.validation import InputError
from ansible_collections.progressive.canary.plugins.module_utils.analysis.webhooks import WebhookConfigError
from ansible_collections.progressive.canary.plugins.module_utils.workloads.wait import NotReadyError


class Failed(Exception):
    pass


class RecordingModule(object):
    """Stands in for AnsibleModule.fail_json, which exits the process."""

    def __init__(self):
        self.failure = None

    def fail_json(self, msg, **fields):
        self.failure = dict(fields, msg=msg)
        raise Failed()


@pytest.mark.parametrize("error_class", [Refusal, InputError, CanaryApiError, ConflictError, StateError, LeaseLost,
                                         NotReadyError, AnalysisConfigError, WebhookConfigError, PrometheusError,
                                         PrometheusConnectionError, DurationError])
def test_every_error_derives_from_the_base_and_keeps_its_message(error_class):
    error = error_class("the cause")
    assert isinstance(error, CanaryError) and str(error) == "the cause"
    assert error.result_fields() == {}


def test_the_config_errors_are_still_value_errors():
    for error_class in (AnalysisConfigError, WebhookConfigError, PrometheusConnectionError, DurationError):
        assert issubclass(error_class, ValueError)


def test_a_prometheus_error_keeps_its_status_out_of_the_result():
    error = PrometheusError("Prometheus at http://p answered HTTP 400: bad_data", status=400)
    assert error.status == 400 and error.result_fields() == {}


def test_the_handler_fails_with_the_message_and_merges_the_fields():
    module = RecordingModule()
    with pytest.raises(Failed):
        with failing(module, acquired=False):
            raise NotReadyError("Deployment test/podinfo not ready", ready=False, actions=["scale"])
    assert module.failure == {"msg": "Deployment test/podinfo not ready", "acquired": False, "ready": False,
                              "actions": ["scale"]}


def test_a_held_lease_says_who_holds_it():
    lease = {"holder": "other/1", "expires": "2026-01-01T00:00:00Z"}
    module = RecordingModule()
    with pytest.raises(Failed):
        with failing(module, acquired=False):
            raise CanaryLeaseHeld(CanaryNames("podinfo", "test"), lease, "it has not expired")
    assert module.failure["held_by"] == lease and module.failure["acquired"] is False
    assert module.failure["msg"].startswith("canary test/podinfo is locked by")


def test_the_handler_prefixes_the_message_and_keeps_the_fields():
    module = RecordingModule()
    with pytest.raises(Failed):
        with failing(module, "invalid analysis: ", passed=False):
            raise NotReadyError("not ready", ready=False)
    assert module.failure == {"msg": "invalid analysis: not ready", "passed": False, "ready": False}


def test_reworded_rewords_only_the_classes_it_is_given():
    with pytest.raises(WebhookConfigError):
        with reworded("keeping the lease: ", StateError):
            raise WebhookConfigError("bad url")
    with pytest.raises(CanaryError) as raised:
        with reworded("invalid webhooks: ", WebhookConfigError), reworded("keeping the lease: ", StateError):
            raise LeaseLost("taken over", acquired=False)
    assert str(raised.value) == "keeping the lease: taken over" and raised.value.result_fields() == {"acquired": False}


def test_the_handler_leaves_other_exceptions_alone():
    with pytest.raises(KeyError):
        with failing(RecordingModule()):
            raise KeyError("a bug")
