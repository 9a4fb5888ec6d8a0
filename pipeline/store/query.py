"""SQL over the outputs: one DuckDB view per table, read-only.

    from pipeline.store.query import connect
    con = connect("processed")
    con.sql("SELECT normalized, count(*) FROM entities WHERE label = 'MUNICIPALITY' GROUP BY 1").df()
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipeline import UserError
from pipeline.store.folder import OutputStore

READ_ONLY_STATEMENTS = {"SELECT", "EXPLAIN"}


class QueryError(UserError, ValueError):
    """The SQL is invalid or would change something; the message is one line."""


def connect(processed_dir: str | Path = "processed") -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with a view per output table (empty tables work too)."""
    store = OutputStore(Path(processed_dir))
    if not Path(processed_dir).is_dir():
        raise QueryError(f"output folder not found: {processed_dir} (run `kommunnlp run` first)")
    connection = duckdb.connect(":memory:")
    tables = store.tables
    for name in tables:
        files = [str(p) for p in store.parts(name)]
        if files:
            listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
            connection.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet([{listed}], union_by_name = true)")
        else:
            columns = ", ".join(f"NULL::{_duck_type(f.type)} AS {f.name}" for f in tables[name].schema)
            connection.execute(f"CREATE VIEW {name} AS SELECT {columns} WHERE false")
    return connection


def _duck_type(arrow_type) -> str:
    text = str(arrow_type)
    return {"string": "VARCHAR", "int64": "BIGINT", "double": "DOUBLE", "date32[day]": "DATE",
            "list<item: string>": "VARCHAR[]"}.get(text, "TIMESTAMPTZ" if text.startswith("timestamp") else "VARCHAR")


def run_query(sql: str, processed_dir: str | Path = "processed"):
    """Run one read-only statement; returns a DuckDB relation result as (columns, rows)."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as error:
        raise QueryError(_one_line(error)) from None
    if len(statements) != 1:
        raise QueryError(f"expected one SQL statement, got {len(statements)}")
    kind = statements[0].type.name
    if kind not in READ_ONLY_STATEMENTS:
        raise QueryError(f"only SELECT queries are allowed here (got {kind}); the outputs are read-only")
    connection = connect(processed_dir)
    try:
        cursor = connection.execute(sql)
        columns = [d[0] for d in cursor.description]
        return columns, cursor.fetchall()
    except duckdb.Error as error:
        raise QueryError(_one_line(error)) from None


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())
