# The register's benchmark: response times with 10,000 and 100,000 disputes beside a bare Django view, and
# its query count. Not a test; it prints figures. Runs on a throw-away PostgreSQL (scripts/with_postgres.sh).
#
#   make bench-register                       40 timed requests per case
#   make bench-register BENCH_REQUESTS=100    more requests, steadier percentiles
#
# `make bench` runs it too (with any other benchmarks that add themselves to `bench`).

BENCH_REQUESTS ?= 40
# This file is included near the top of the Makefile: keep its targets from becoming the default goal.
bench_register_saved_goal := $(.DEFAULT_GOAL)

.PHONY: bench-register

bench-register: venv
	BENCH_REQUESTS=$(BENCH_REQUESTS) scripts/with_postgres.sh $(PY) bench/bench_register.py

bench: bench-register

.DEFAULT_GOAL := $(bench_register_saved_goal)
