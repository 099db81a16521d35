# The load test: gunicorn + PostgreSQL + Redis + a Celery worker on generated data, driven by Locust (headless) at
# 50 and 200 simulated people (practitioners, managers and business managers, 12 : 5 : 3). Prints requests per
# second, p50/p95/p99 per page and the error rate. Not a test; nothing in it passes or fails. Needs redis-server.
#
#   make loadtest                                                  100,000 disputes, 60 s at each size (plus the sign-ins)
#   make loadtest LOADTEST_DISPUTES=20000 LOADTEST_SECONDS=30      quicker figures

LOADTEST_DISPUTES ?= 100000
LOADTEST_SECONDS ?= 60
# This file is included near the top of the Makefile: keep its targets from becoming the default goal.
loadtest_saved_goal := $(.DEFAULT_GOAL)

.PHONY: loadtest

loadtest: venv
	LOADTEST_DISPUTES=$(LOADTEST_DISPUTES) LOADTEST_SECONDS=$(LOADTEST_SECONDS) scripts/with_postgres.sh scripts/loadtest.sh

.DEFAULT_GOAL := $(loadtest_saved_goal)
