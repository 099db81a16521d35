# The written record's benchmark: render time of a record with 5 stages and 50 entries beside a one-line
# document in the same run, printed as a ratio. Not a test; it prints figures. Needs no database.
#
#   make bench-records                    10 renders of each after a warm-up
#   make bench-records BENCH_RENDERS=30   more renders, steadier medians
#
# `make bench` runs it too (with any other benchmarks that add themselves to `bench`).

BENCH_RENDERS ?= 10
# This file is included near the top of the Makefile: keep its targets from becoming the default goal.
bench_records_saved_goal := $(.DEFAULT_GOAL)

.PHONY: bench-records

bench-records: venv
	BENCH_RENDERS=$(BENCH_RENDERS) $(PY) bench/bench_records.py

bench: bench-records

.DEFAULT_GOAL := $(bench_records_saved_goal)
