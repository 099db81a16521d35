"""Writing many new rows of one model at once, for the deadline sweep's batches.

Django's `bulk_create` prepares every value of every row through the field classes and compiles one placeholder per
value; for a batch of thousands of rows that costs several times what the database takes to write them. On
PostgreSQL `insert` gives the values to the driver as they are (it quotes and adapts them in C) in one
`INSERT ... VALUES ... RETURNING id`; elsewhere it is `bulk_create`. The rows are the same either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from django.db import connection, models
from django.db.models import NOT_PROVIDED

Model = TypeVar("Model", bound=models.Model)


def _columns(model: type[models.Model]) -> list[models.Field]:
    """The columns an INSERT names: not the id, and not one the database fills in itself (`db_default`)."""
    return [
        field
        for field in model._meta.concrete_fields
        if not field.primary_key and getattr(field, "db_default", NOT_PROVIDED) is NOT_PROVIDED
    ]


def insert(model: type[Model], objects: Sequence[Model]) -> list[Model]:
    """Write the unsaved `objects` in one statement and give each its id; the same rows as `bulk_create`."""
    if not objects:
        return []
    if connection.vendor != "postgresql":
        return model.objects.bulk_create(objects)
    from psycopg2.extras import Json

    fields = _columns(model)
    json_fields = {field.attname for field in fields if isinstance(field, models.JSONField)}

    def value(obj: Model, field: models.Field):
        held = getattr(obj, field.attname)
        return Json(held) if held is not None and field.attname in json_fields else held

    quote = connection.ops.quote_name
    template = "(" + ", ".join(["%s"] * len(fields)) + ")"
    with connection.cursor() as cursor:
        driver = cursor.cursor
        values = b",".join(
            driver.mogrify(template, [value(obj, field) for field in fields]) for obj in objects
        ).decode()
        columns = ", ".join(quote(field.column) for field in fields)
        table = quote(model._meta.db_table)
        # The names are the model's; every value was quoted by the driver (mogrify).
        cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {values} RETURNING id")  # noqa: S608
        ids = [row[0] for row in cursor.fetchall()]
    for obj, pk in zip(objects, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias
    return list(objects)
