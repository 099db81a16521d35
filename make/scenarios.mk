# `make scenarios`: play every scenario in policies/scenarios/ and write its expected output beside it
# (<name>.expected.jsonl), on a throw-away database. Run it after a deliberate change to a seed policy or to what
# the app does, then read the diff before committing it: the scenario tests compare with these files.

# This file is included near the top of the Makefile: keep its targets from becoming the default goal.
scenarios_saved_goal := $(.DEFAULT_GOAL)

.PHONY: scenarios

scenarios: venv
	scripts/with_postgres.sh sh -c '$(PY) manage.py migrate --no-input -v 0 && $(PY) manage.py simulate --write-expected'

.DEFAULT_GOAL := $(scenarios_saved_goal)
