"""The contract as SQL: every value parsed to its field's type and every row given its reasons
to be rejected (structured, :mod:`sources.loading.reasons`), in one statement over whatever a
reader staged. Readers stage the contract fields as text plus ``_file``, ``_line``, ``_raw`` and
``_pre_reason`` (a reason struct when the reader already knows the line is broken)."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import duckdb

from sources.contract import Entity, Field, Source
from sources.loading import reasons
from sources.warehouse import quote


def parse_expression(f: Field, value: str) -> str:
    """SQL that turns the cleaned text ``value`` into the field's type, NULL if it cannot."""
    if f.kind == "text":
        return value
    if f.kind == "int":
        return f"CASE WHEN regexp_full_match({value}, '[0-9]{{1,9}}') THEN {value}::INTEGER END"
    if f.kind == "int_thousands":
        return (
            f"CASE WHEN regexp_full_match({value}, '-?[0-9]{{1,3}}(\\.[0-9]{{3}})+|-?[0-9]{{1,18}}') "
            f"THEN replace({value}, '.', '')::BIGINT END"
        )
    if f.kind == "number_vn":
        # "1.500", "1500", "7,5", "92,5%", "-3": groups of three after ".", "," before decimals
        return (
            f"CASE WHEN regexp_full_match({value}, '-?([0-9]{{1,3}}(\\.[0-9]{{3}})+|[0-9]{{1,15}})(,[0-9]{{1,9}})?%?') "
            f"THEN replace(replace(rtrim({value}, '%'), '.', ''), ',', '.')::DOUBLE END"
        )
    if f.kind == "ts_compact":
        return f"CASE WHEN regexp_full_match({value}, '[0-9]{{14}}') THEN try_strptime({value}, '%Y%m%d%H%M%S') END"
    if f.kind == "ts_vn":
        return (
            f"CASE WHEN regexp_full_match({value}, '[0-9]{{1,2}}/[0-9]{{1,2}}/[0-9]{{4}} [0-9]{{1,2}}:[0-9]{{2}}') "
            f"THEN try_strptime({value}, '%d/%m/%Y %H:%M') END"
        )
    if f.kind == "month_vn":
        return (
            f"CASE WHEN regexp_full_match({value}, '[0-9]{{1,2}}/[0-9]{{4}}') "
            f"THEN try_strptime('01/' || {value}, '%d/%m/%Y')::DATE END"
        )
    if f.kind == "date_iso":
        return (
            f"CASE WHEN regexp_full_match({value}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') "
            f"THEN try_strptime({value}, '%Y-%m-%d')::DATE END"
        )
    if f.kind == "year":
        return f"CASE WHEN regexp_full_match({value}, '[12][0-9]{{3}}') THEN {value}::INTEGER END"
    raise ValueError(f"unknown field kind {f.kind}")


def reason_expressions(entity: Entity) -> list[tuple[Field, str, str]]:
    """For each field: (field, parse SQL over the cleaned text ``_v_<i>``, SQL giving the
    field's reason struct over ``_v_<i>`` and the parsed value ``_p_<i>``, or NULL when
    nothing can be wrong with it)."""
    out = []
    for index, f in enumerate(entity.fields):
        value, parsed_column = f"_v_{index}", f"_p_{index}"
        checks = []
        if f.required:
            checks.append(f"WHEN {value} IS NULL THEN {reasons.required_missing_sql(f)}")
        if f.kind != "text":
            checks.append(
                f"WHEN {value} IS NOT NULL AND {parsed_column} IS NULL THEN {reasons.bad_format_sql(f, value)}"
            )
        if f.allowed is not None:
            listed = ", ".join(reasons.literal(v) for v in f.allowed)
            checks.append(f"WHEN {parsed_column} NOT IN ({listed}) THEN {reasons.not_in_list_sql(f, value)}")
        reason = f"CASE {' '.join(checks)} END" if checks else "NULL"
        out.append((f, parse_expression(f, value), reason))
    return out


def quick_expressions(entity: Entity) -> list[tuple[str, str]]:
    """For each field: (SQL over the raw text ``_x_<i>`` giving the parsed value or NULL,
    SQL condition that holds only when that value is exactly what the contract's parse of the
    cleaned text gives AND the field has no reason to be rejected).

    A shortcut for the common case, so that most rows skip ``trim`` and the reasons: a value
    whose first and last characters are printable ASCII other than space is its own trimmed
    text, and a value matching a kind's pattern has none of trim's spaces at its ends. When
    the condition does not hold (or is NULL) the row takes the full path of
    :func:`reason_expressions`, which stays the one definition of what is valid."""
    out = []
    for index, f in enumerate(entity.fields):
        raw = f"_x_{index}"
        if f.kind == "text":
            value = f"CASE WHEN ascii({raw}) BETWEEN 33 AND 126 AND ascii({raw}[-1]) BETWEEN 33 AND 126 THEN {raw} END"
        else:
            canonical = [v for v in f.allowed or () if re.fullmatch(r"[0-9]{1,9}", str(v))]
            if f.kind == "int" and f.allowed is not None and len(canonical) == len(f.allowed):
                # a coded field: its codes as written are the valid texts, matched without a regex
                cases = " ".join(f"WHEN '{v}' THEN {int(v)}" for v in canonical)
                value = f"CASE {raw} {cases} END"
            else:
                value = parse_expression(f, raw)
        ok = f"_f_{index} IS NOT NULL"
        if f.allowed is not None and not value.startswith(f"CASE {raw} WHEN"):
            listed = ", ".join(reasons.literal(v) for v in f.allowed)
            ok = f"({ok} AND _f_{index} IN ({listed}))"
        if not f.required:
            ok = f"({raw} IS NULL OR {ok})"
        out.append((value, ok))
    return out


def _row_rules(entity: Entity) -> list[tuple[str, str]]:
    """For each row rule: (SQL condition over the parsed values: TRUE when broken, SQL giving
    its reason struct)."""
    texts = {f.name: f"CASE WHEN _quick THEN _x_{i} ELSE _v_{i} END" for i, f in enumerate(entity.fields)}
    names = {f.name: f"_p_{i}" for i, f in enumerate(entity.fields)} | {"text": SimpleNamespace(**texts)}
    out = []
    for rule in entity.row_rules:
        broken = f"coalesce(({rule.broken.format_map(names)}), false)"
        reason = reasons.struct_sql(rule.code, rule.field, texts[rule.field], rule.detail.format_map(names))
        out.append((broken, reason))
    return out


def validated_sql(entity: Entity, staged: str) -> str:
    """SQL over ``staged`` giving the typed fields, ``_file``, ``_line``, ``_raw`` (kept for
    rejects only), ``_reasons`` (a list of reason structs, NULL for a valid row) and ``_reason``
    (the same in English). Rows that pass the shortcut checks of :func:`quick_expressions` are
    typed from the shortcut values; only the others are cleaned, parsed and given their
    reasons by :func:`reason_expressions` (CASE evaluates a branch only for the rows that take
    it). Row rules are checked on every row."""
    expressions = reason_expressions(entity)
    quick = quick_expressions(entity)
    rules = _row_rules(entity)
    count = len(entity.fields)
    raws = ", ".join(f"{quote(f.name)} AS _x_{i}" for i, f in enumerate(entity.fields))
    fast = ", ".join(f"{value} AS _f_{i}" for i, (value, _) in enumerate(quick))
    quick_ok = " AND ".join(ok for _, ok in quick) or "true"
    cleaned = ", ".join(f"CASE WHEN _quick THEN NULL ELSE nullif(trim(_x_{i}), '') END AS _v_{i}" for i in range(count))
    parsed = ", ".join(
        f"CASE WHEN _quick THEN _f_{i} ELSE {p} END AS _p_{i}" for i, (_, p, _) in enumerate(expressions)
    )
    # a row that took the shortcut has valid fields (its cleaned text is not computed): only a
    # row rule can reject it
    field_reasons = [f"CASE WHEN NOT _quick THEN {r} END" for _, _, r in expressions if r != "NULL"]
    rule_reasons = [f"CASE WHEN {broken} THEN {reason} END" for broken, reason in rules]
    listed = field_reasons + rule_reasons
    all_reasons = (
        f"list_filter([{', '.join(listed)}], lambda r: r IS NOT NULL)" if listed else f"[]::{reasons.REASON_TYPE}"
    )
    rules_broken = " OR ".join(broken for broken, _ in rules) or "false"
    typed = ", ".join(f"_p_{i} AS {quote(f.name)}" for i, (f, _, _) in enumerate(expressions))
    return f"""
        SELECT {typed}, _file, _line, CASE WHEN _reasons IS NOT NULL THEN _raw END AS _raw, _reasons,
            {reasons.english_sql("_reasons")} AS _reason
        FROM (
            SELECT *, CASE WHEN len(_found) > 0 THEN _found END AS _reasons
            FROM (
            SELECT *, CASE WHEN _pre_reason IS NOT NULL THEN [_pre_reason]
                WHEN _quick AND NOT ({rules_broken}) THEN NULL
                ELSE {all_reasons} END AS _found
            FROM (
                SELECT *, {parsed}
                FROM (
                    SELECT *, {cleaned}
                    FROM (
                        SELECT *, {quick_ok} AS _quick
                        FROM (
                            SELECT *, {fast}
                            FROM (SELECT {raws}, _file, _line, _raw, _pre_reason FROM ({staged}))
                        )
                    )
                )
            )
            )
        )"""


def parse_into(con: duckdb.DuckDBPyConnection, entity: Entity, staged: str, params: dict) -> None:
    """Validate ``staged`` into the temp table ``_parsed`` (readers that store per file)."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE _parsed AS {validated_sql(entity, staged)}", params)


def store(
    con: duckdb.DuckDBPyConnection, source: Source, entity: Entity, load_id: int, now: dt.datetime
) -> dict[str, tuple[int, int]]:
    """Move ``_parsed`` (joined to ``_offsets`` for each file's relative path and line offset)
    into the raw table and rejects; returns {file: (loaded, rejected)}."""
    schema = quote(source.schema)
    columns = ", ".join(quote(f.name) for f in entity.fields)
    joined = "FROM _parsed p JOIN _offsets o ON p._file = o._file"
    con.execute(
        f"""INSERT INTO {schema}.{quote(entity.name)}
            SELECT {columns}, o._relative, p._line - o._offset, ?, ?{entity.derived_sql()}
            {joined} WHERE p._reasons IS NULL""",
        [load_id, now],
    )
    insert_rejects(
        con,
        source,
        entity,
        f"SELECT o._relative AS _file, p._line - o._offset AS _line, p.* EXCLUDE (_file, _line) {joined}",
        load_id,
        now,
    )
    counts = con.execute(
        f"""SELECT o._relative, count(*) FILTER (p._reasons IS NULL), count(*) FILTER (p._reasons IS NOT NULL)
            {joined} GROUP BY ALL"""
    ).fetchall()
    return {relative: (loaded, rejected) for relative, loaded, rejected in counts}


def insert_rejects(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    entity: Entity,
    validated: str,
    load_id: int,
    now: dt.datetime,
    params: dict | None = None,
) -> None:
    """The rejected rows of ``validated`` (a query with _file, _line, _raw, _reason, _reasons)."""
    con.execute(
        f"""INSERT INTO {quote(source.schema)}.rejects
                (entity, _source_file, _source_line, raw_content, reason, _load_id, _loaded_at, reasons)
            SELECT $entity, _file, _line, _raw, _reason, $load_id, $now, _reasons
            FROM ({validated}) WHERE _reasons IS NOT NULL""",
        {**(params or {}), "entity": entity.name, "load_id": load_id, "now": now},
    )
