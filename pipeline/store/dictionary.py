"""The data dictionary (docs/data-dictionary.md), generated from the schema module so it cannot drift."""

from __future__ import annotations

from pipeline.store.schemas import TABLES

HEADER = """# Data dictionary

Generated from `pipeline/store/schemas.py` by `kommunnlp data-dictionary --write`; a test fails when this
file is out of date. Every table is a folder of Parquet files under the output folder
(`processed/<table>/*.parquet`): read one with `pandas.read_parquet("processed/<table>")`, or all
of them with `kommunnlp query` / `pipeline.store.query.connect("processed")`.

Offsets (`start_char`, `end_char`) count characters in `documents.text`, 0-based, end exclusive:
`documents.text[start_char:end_char]` in Python, `substr(text, start_char + 1, end_char - start_char)`
in SQL.

Label tables: every taxonomy file (`pipeline/taxonomies/*.yaml`, or the folder given to
`kommunnlp run --taxonomies`) is a table of its own, named after the file, with the columns below;
the shipped ones are listed here. Rows of every table can be made in Python as the classes of
`pipeline.store.schemas` (`EntityRow`, `LabelRow` …), one field per column.
"""


def render() -> str:
    parts = [HEADER]
    for table in TABLES.values():
        parts.append(f"\n## `{table.name}`\n\n{table.description}\n")
        parts.append("| column | type | null | meaning | example |\n| --- | --- | --- | --- | --- |")
        for column in table.columns:
            example = column.example.replace("|", "\\\\|")
            parts.append(f"| `{column.name}` | {column.type} | {'yes' if column.nullable else 'no'} | "
                         f"{column.description} | {example} |")
    return "\n".join(parts) + "\n"
