"""Give the app's own PostgreSQL role what it needs and nothing more; run it as the owner of the tables.

The owner (the role `migrate` runs as) owns every table. The app's role, the one web, worker and beat connect
as, may read and write every table but the audit trail, where it may only add rows and read them: it cannot
change, delete or truncate an audit event, nor disable or drop the trigger that guards them, because none of
that is granted and it owns nothing. Default privileges cover the tables later migrations create; run this
again after every `migrate` all the same (it is idempotent), so that a table that was replaced gets its grants.

    DATABASE_URL=<owner's URL> manage.py create_app_role --app-url postgres://escalation_app:PASSWORD@host/db
"""

import os

import dj_database_url
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from psycopg2 import sql

from escalation.audit.models import AuditEvent

ROW_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"


class Command(BaseCommand):
    help = (
        "Create (if missing) the app's database role and grant it what the app needs: every table but the audit "
        "trail in full, the audit trail INSERT and SELECT only. Run as the tables' owner, after every migrate."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--app-url",
            default=os.environ.get("APP_DATABASE_URL", ""),
            help="The URL the app connects with; its user is the role (default: $APP_DATABASE_URL).",
        )

    def handle(self, *args, **options) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("create_app_role is for PostgreSQL; run it with DATABASE_URL set to the owner's URL")
        if not options["app_url"]:
            raise CommandError("give the app's database URL with --app-url or APP_DATABASE_URL")
        app = dj_database_url.parse(options["app_url"])
        role, password = app.get("USER") or "", app.get("PASSWORD") or ""
        if not role:
            raise CommandError("the app's database URL names no user")
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT current_user, current_database()")
            owner, database = cursor.fetchone()
            if role == owner:
                raise CommandError(f"the app's role must not be the owner '{owner}': give the app a role of its own")
            created = self._ensure_role(cursor, role, password)
            self._grant(cursor, role, database)
        verb = "created and granted" if created else "granted"
        self.stdout.write(f"create_app_role: {verb} '{role}' on '{database}' (owner '{owner}')")

    def _ensure_role(self, cursor, role: str, password: str) -> bool:
        """Create the role if it does not exist; refuse one with powers the app must not have."""
        cursor.execute(
            "SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls FROM pg_roles WHERE rolname = %s", [role]
        )
        found = cursor.fetchone()
        name = sql.Identifier(role)
        if found is None:
            cursor.execute(
                sql.SQL(
                    "CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD %s"
                ).format(name),
                [password or None],
            )
            return True
        if any(found):
            raise CommandError(
                f"the role '{role}' is a superuser or may create roles or databases or bypass row security; "
                "the app's role must be an ordinary one "
                "(ALTER ROLE ... NOSUPERUSER NOCREATEROLE NOCREATEDB NOBYPASSRLS)"
            )
        if password and self._may_alter_roles(cursor):
            cursor.execute(sql.SQL("ALTER ROLE {} PASSWORD %s").format(name), [password])
        return False

    def _may_alter_roles(self, cursor) -> bool:
        cursor.execute("SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user")
        return bool(cursor.fetchone()[0])

    def _grant(self, cursor, role: str, database: str) -> None:
        name = sql.Identifier(role)
        audit = sql.Identifier(AuditEvent._meta.db_table)
        statements = [
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), name),
            sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(name),
            # Start from nothing, so a grant made by hand earlier (or TRUNCATE) does not survive a rerun.
            sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {}").format(name),
            sql.SQL("REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {}").format(name),
            sql.SQL(f"GRANT {ROW_PRIVILEGES} ON ALL TABLES IN SCHEMA public TO {{}}").format(name),
            # USAGE lets INSERT take the next id; without UPDATE the role cannot move a sequence back.
            sql.SQL("GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {}").format(name),
            sql.SQL("REVOKE UPDATE, DELETE ON {} FROM {}").format(audit, name),
            # Tables and sequences that later migrations create (as this owner) are granted the same way.
            sql.SQL(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT {ROW_PRIVILEGES} ON TABLES TO {{}}").format(name),
            sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE ON SEQUENCES TO {}").format(name),
        ]
        for statement in statements:
            cursor.execute(statement)
