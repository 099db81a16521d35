# `make backup` and `make restore`: the database to one file and back (scripts/backup.sh, scripts/restore.sh).
#
#   DATABASE_URL=<owner's URL> make backup                       backups/escalation-<UTC time>.dump
#   DATABASE_URL=<owner's URL of an empty database> APP_DATABASE_URL=<app's URL> make restore BACKUP=FILE
#
# Both need PostgreSQL's client programs (pg_dump, pg_restore, psql) of the server's version or newer.

# This file is included near the top of the Makefile: keep its targets from becoming the default goal.
backup_saved_goal := $(.DEFAULT_GOAL)

.PHONY: backup restore

backup:
	scripts/backup.sh

restore: venv
	@test -n "$(BACKUP)" || { echo "restore: say which file: make restore BACKUP=backups/escalation-....dump" >&2; exit 2; }
	PYTHON=$(PY) scripts/restore.sh "$(BACKUP)"

.DEFAULT_GOAL := $(backup_saved_goal)
