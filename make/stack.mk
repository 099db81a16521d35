# `make stack`: the production set of services on this machine, without Docker: PostgreSQL (a throw-away
# cluster from scripts/with_postgres.sh, or your own DATABASE_URL), Redis, two Celery workers, Celery beat,
# the web app under gunicorn and a mail catcher that prints every e-mail. A process that stops is started
# again on its own (scripts/supervise.py); Ctrl-C stops them all. Migrations run as the database's owner, the
# processes as the app's own role (manage.py create_app_role).
#
#   make stack                                   http://127.0.0.1:8000, Redis on 6380, mail catcher on 1025
#   make stack PORT=8080 STACK_REDIS_PORT=6390   other ports
#   make stack STACK_DEMO=0                      no demo partnerships and people
#
# The script that prepares the database and starts the processes is make/stack.sh.

STACK_REDIS_PORT ?= 6380
STACK_MAIL_PORT ?= 1025
STACK_DEMO ?= 1
# This file is included near the top of the Makefile: keep its targets from becoming the default goal.
stack_saved_goal := $(.DEFAULT_GOAL)

.PHONY: stack

stack: venv
	STACK_HOST=$(HOST) STACK_PORT=$(PORT) PY=$(PY) STACK_REDIS_PORT=$(STACK_REDIS_PORT) STACK_MAIL_PORT=$(STACK_MAIL_PORT) \
		STACK_DEMO=$(STACK_DEMO) scripts/with_postgres.sh bash make/stack.sh

.DEFAULT_GOAL := $(stack_saved_goal)
