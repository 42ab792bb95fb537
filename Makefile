# progressive.canary developer entry points. `make demo` and `make test` install everything they need
# (hack/setup.sh, idempotent); every other target assumes nothing either.
SHELL := /bin/bash
.DEFAULT_GOAL := help
.PHONY: help setup demo test static-checks fast-suites sanity lint unit sandbox-test integration e2e e2e-oldest bench clean

# pytest-xdist workers for the suites that run servers (each test gets its own ports/TMPDIR/HOME).
PYTEST_WORKERS ?= 2
# The integration suite's propagation and live-Prometheus tests wait on delays and scrapes, not on a core. Its tests
# differ in length (0.1 s to 40 s): `--dist worksteal` lets an idle worker take tests queued on a busy one.
INTEGRATION_WORKERS ?= 3
# End-to-end runs spend most of their time in analysis intervals and readiness waits, not on a core: more workers
# than cores shorten the suite without starving it. Not more than 4: with 6 the suite took longer (14 min against 12)
# and the kill-and-resume tests, timed against the analysis, failed; with 5 (and the light client) 12 min 50 s
# against 10 min 39 s - 11 min 14 s with 4.
E2E_WORKERS ?= 4
PYTEST_ARGS ?= -q
PYTEST := hack/pytest.sh $(PYTEST_ARGS)

help:
	@echo "make demo          set up, start the sandbox, release podinfo (promoted, then rolled back), clean up"
	@echo "make test          set up, then sanity and lint beside unit and sandbox-test, integration, e2e (both ansible-cores)"
	@echo "make setup         .venv, .venv-ansible-oldest, kubernetes.core, prometheus, ansible-test bootstrap (idempotent)"
	@echo "make sanity        ansible-test sanity (offline); ARGS='--test pep8 plugins/...' to narrow"
	@echo "make lint          antsibull-changelog lint + ansible-lint --offline (production profile)"
	@echo "make unit | sandbox-test | integration | e2e    one pytest suite"
	@echo "make e2e-oldest    the role's compatibility e2e on the oldest ansible-core we claim (.venv-ansible-oldest)"
	@echo "make bench         speed and API-call budgets (bench/)"
	@echo "make clean         remove test output and caches (keeps .venv and .collections)"

setup:
	@hack/setup.sh

demo: setup
	hack/demo.sh

# The static checks (one process each, ~1 min) run beside the unit and sandbox suites; e2e runs the tests marked
# `oldest` on both ansible-core versions in its one pool of workers (tests/e2e/conftest.py). Every part runs even
# when an earlier one failed; the status is the worst.
test: setup
	@rm -rf tests/output/junit
	@status=0; \
	$(MAKE) --no-print-directory --keep-going -j2 --output-sync=recurse static-checks fast-suites || status=1; \
	$(MAKE) --no-print-directory integration || status=1; \
	$(MAKE) --no-print-directory e2e || status=1; \
	exit $$status

static-checks: setup
	@$(MAKE) --no-print-directory --keep-going sanity lint

fast-suites: setup
	@$(MAKE) --no-print-directory --keep-going unit sandbox-test

sanity: setup
	hack/sanity.sh $(ARGS)

lint: setup
	hack/lint.sh $(ARGS)

unit: setup
	$(PYTEST) tests/unit

sandbox-test: setup
	$(PYTEST) -n $(PYTEST_WORKERS) tests/sandbox

integration: setup
	$(PYTEST) -n $(INTEGRATION_WORKERS) --dist worksteal tests/integration

e2e: setup
	$(PYTEST) -n $(E2E_WORKERS) tests/e2e

# The oldest ansible-core meta/runtime.yml claims (hack/setup-venv-oldest.sh), alone: `e2e` runs these tests on both.
# Only what differs between ansible-core versions: the role's healthy release and the role's contracts with
# its callers (tests marked `oldest`).
e2e-oldest: setup
	CANARY_TEST_VENV=.venv-ansible-oldest $(PYTEST) -n $(PYTEST_WORKERS) -m oldest tests/e2e

bench: setup
	hack/bench.sh $(ARGS)

clean:
	rm -rf tests/output .pytest_cache bench/results .ansible
	find . -path ./.venv -prune -o -path ./.collections -prune -o -name __pycache__ -type d -print0 | xargs -0 rm -rf
