# The deadline sweep's benchmark: deadlines handled per second with 10,000 and 100,000 due, and queries per
# deadline (the same at every size). Not a test; it prints figures. Runs on a throw-away PostgreSQL
# (scripts/with_postgres.sh), in a database of its own that it drops afterwards.
#
#   make bench-sweep                                 10,000 then 100,000 due deadlines (several minutes)
#   make bench-sweep BENCH_SWEEP_SIZES=1000,5000     quicker figures

BENCH_SWEEP_SIZES ?= 10000,100000
# This file is included near the top of the Makefile: keep its targets from becoming the default goal.
bench_sweep_saved_goal := $(.DEFAULT_GOAL)

.PHONY: bench-sweep

bench-sweep: venv
	BENCH_SWEEP_SIZES=$(BENCH_SWEEP_SIZES) scripts/with_postgres.sh $(PY) bench/bench_sweep.py

bench: bench-sweep

.DEFAULT_GOAL := $(bench_sweep_saved_goal)
