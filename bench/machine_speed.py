"""How fast this machine runs Python right now, to read the other figures beside: the CPU seconds of a fixed
pure-Python workload, at the start and at the end of a bench run.

Why: the bench runs on a shared VM whose speed drifts. On 2 Dec the same commit's ``canary_info`` process took 0.198
CPU-s in the morning and 0.392 in the afternoon, and `python -c pass` 0.010 s then 0.022 s; CPU seconds, which do not
move with the load of other processes, moved with the machine. A figure compares with another run's only when this
one is close to that run's (bench/README.md, "Reading the figures across runs")."""
import time

from bench.timing import median

LOOP = 3 * 10 ** 6  # ~0.15-0.3 CPU-s per pass on this machine


def _workload():
    """Integer arithmetic, a dict and a list: what the interpreter spends ansible-playbook's time on, no I/O."""
    table, items, total = {}, [], 0
    for number in range(LOOP):
        total += number % 7
        if number % 64 == 0:
            table[number] = total
            items.append(number)
    return total, len(table), len(items)


def reference_cpu_seconds(passes=3):
    """Median CPU seconds (this process, user + system) of the workload over ``passes``."""
    return median([_cpu_seconds_of_workload() for _pass in range(passes)])


def _cpu_seconds_of_workload():
    started = time.process_time()
    _workload()
    return time.process_time() - started
