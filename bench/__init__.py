"""Speed, API-call and memory budgets of progressive.canary (``python -m bench.run``); never part of the tests."""
