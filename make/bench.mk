# The deadline sweep's benchmark: the set-based sweep beside the per-row sweep it replaced, in the same run, as
# ratios: deadlines handled per second, queries per deadline, and an idle sweep's median and p95 over a table of
# generated disputes (`manage.py generate_disputes`). Not a test; it prints figures. Runs on a throw-away PostgreSQL
# (scripts/with_postgres.sh), in a database of its own that it drops afterwards.
#
#   make bench-sweep                                   100,000 generated disputes, 10,000 due deadlines a sweep
#   make bench-sweep BENCH_SWEEP_SIZES=2000            quicker figures (the per-row sweep is the slow part)
#   make bench-sweep BENCH_SWEEP_DISPUTES=1000000      the idle sweep at a million disputes

BENCH_SWEEP_DISPUTES ?= 100000
BENCH_SWEEP_SIZES ?= 10000
# This file is included near the top of the Makefile: keep its targets from becoming the default goal.
bench_sweep_saved_goal := $(.DEFAULT_GOAL)

.PHONY: bench-sweep

bench-sweep: venv
	BENCH_SWEEP_DISPUTES=$(BENCH_SWEEP_DISPUTES) BENCH_SWEEP_SIZES=$(BENCH_SWEEP_SIZES) \
		scripts/with_postgres.sh $(PY) bench/bench_sweep.py

bench: bench-sweep

.DEFAULT_GOAL := $(bench_sweep_saved_goal)
