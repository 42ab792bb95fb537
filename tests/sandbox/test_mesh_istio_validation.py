"""istiod's validation of the VirtualService fields the strategies use (match, mirror), as the emulator's webhook
(apiserver/istio_webhook.py) applies it: what istiod refuses is refused before anything is stored, what it accepts
(Flagger's shapes, a mirror to a subset that does not exist) is accepted."""

import pytest

from tests.sandbox.apiserver.re2 import re2_error
from tests.sandbox.test_apiserver_validation import NAMESPACE, _create, needs_crds, virtual_service

FLAGGER_COOKIE = {"regex": "^(.*?;)?(canary=always)(;.*)?$"}

REFUSALS = [
    ("regex-lookahead", virtual_service(match=[{"headers": {"cookie": {"regex": "(?=canary).*"}}}]),
     '"headers": error parsing regexp: invalid or unsupported Perl syntax: `(?=`; Istio uses RE2 style regex-based match'),
    ("regex-backreference", virtual_service(match=[{"uri": {"regex": "/(a)\\1"}}]),
     '"uri": error parsing regexp: invalid escape sequence: `\\1`'),
    ("regex-possessive", virtual_service(match=[{"headers": {"x-canary": {"regex": "a*+"}}}]),
     "invalid nested repetition operator: `*+`"),
    ("regex-repeat-count", virtual_service(match=[{"headers": {"x-canary": {"regex": "a{1001}"}}}]), "invalid repeat count: `{1001}`"),
    ("regex-unbalanced", virtual_service(match=[{"headers": {"x-canary": {"regex": "(insider"}}}]), '"headers": error parsing regexp'),
    ("regex-empty", virtual_service(match=[{"headers": {"x-canary": {"regex": ""}}}]), '"headers": regex string match should not be empty'),
    ("regex-too-long", virtual_service(match=[{"headers": {"x-canary": {"regex": "a" * 1025}}}]),
     '"headers": regex is too large, max length allowed is 1024'),
    ("header-prefix-empty", virtual_service(match=[{"headers": {"x-canary": {"prefix": ""}}}]),
     '"headers": prefix string match should not be empty'),
    ("header-name-invalid", virtual_service(match=[{"headers": {"x canary": {"exact": "a"}}}]),
     "header name x canary is not a valid header name"),
    ("source-namespace-invalid", virtual_service(match=[{"sourceNamespace": "Not_A_Label"}]), "sourceNamespace match Not_A_Label is invalid"),
    ("mirror-percentage-over-100", virtual_service(mirror={"host": "web-canary"}, mirrorPercentage={"value": 100.5}),
     "mirror_percentage must have a max value of 100 (it has 100.500000)"),
    ("mirror-percentage-negative", virtual_service(mirror={"host": "web-canary"}, mirrorPercentage={"value": -1}),
     "mirror_percentage must have a min value of 0 (it has -1.000000)"),
    ("mirror-percent-over-100", virtual_service(mirror={"host": "web-canary"}, mirrorPercent=101),
     "mirror_percent must have a max value of 100 (it has 101)"),
    ("mirror-host-invalid", virtual_service(mirror={"host": "web_canary"}), 'domain name "web_canary" invalid'),
    ("mirror-and-mirrors", virtual_service(mirror={"host": "web-canary"}, mirrors=[{"destination": {"host": "web-canary"}}]),
     "HTTP route cannot contain both mirror and mirrors"),
]

ACCEPTS = [
    ("flagger-ab", virtual_service(match=[{"headers": {"x-canary": {"exact": "insider"}}}, {"headers": {"cookie": FLAGGER_COOKIE}}])),
    ("flagger-affinity", virtual_service(match=[{"headers": {"Cookie": {"regex": ".*flagger-cookie.*LpsIaLdoNZ.*"}}}],
                                         headers={"response": {"add": {"Set-Cookie": "flagger-cookie=LpsIaLdoNZ; Max-Age=-1"}}})),
    ("flagger-mirror", virtual_service(mirror={"host": "web-canary"}, mirrorPercentage={"value": 50})),
    ("mirror-to-a-missing-subset", virtual_service(mirror={"host": "web-canary", "subset": "nowhere"})),
    ("uri-empty-prefix", virtual_service(match=[{"uri": {"prefix": ""}}])),
    ("regex-lazy-and-classes", virtual_service(match=[{"headers": {"user-agent": {"regex": ".*?(Firefox|Chrome)[^;]+$"}}}])),
    ("without-headers-star", virtual_service(match=[{"withoutHeaders": {"x-canary": {"regex": "*"}}}])),
]


@needs_crds
@pytest.mark.parametrize("body, text", [case[1:] for case in REFUSALS], ids=[case[0] for case in REFUSALS])
def test_istiod_refuses(emulator, body, text):
    status, answer = _create(emulator, body)
    assert status == 400, answer
    assert answer["message"].startswith('admission webhook "validation.istio.io" denied the request: configuration is invalid: ')
    assert text in answer["message"]
    stored, _answer = emulator.request("GET", emulator.collection_path(body["apiVersion"], body["kind"], NAMESPACE) + "/web")
    assert stored == 404, "refused before anything was stored"


@needs_crds
@pytest.mark.parametrize("body", [case[1] for case in ACCEPTS], ids=[case[0] for case in ACCEPTS])
def test_istiod_accepts(emulator, body):
    status, answer = _create(emulator, body)
    assert status == 201, answer


@pytest.mark.parametrize("pattern", ["^(.*?;)?(canary=always)(;.*)?$", ".*insider.*", "[]a]+", "[^]]*", "a{2,1000}", "(?i)firefox",
                                     "(?P<name>a)", r"\d+\.\d+", "a+?b??c*?"])
def test_re2_accepts(pattern):
    assert re2_error(pattern) is None
