"""bench/transform.py's checks of what dbt built: the hand-written baseline query (the per-dossier
facts of docs/indicators.md in one CREATE TABLE AS) and its comparison with marts.fct_dossiers, and
the comparison of an incremental build's tables with a full refresh's (EXCEPT ALL both ways)."""

from __future__ import annotations

# The per-dossier facts of docs/indicators.md, written the direct way: deduplicate (the copy
# from the file last in path order, then the last line, wins), then one GROUP BY dossier.
# "Earliest"/"last" is by (ThoiDiem, TrangThaiHoSo), packed into one integer (timestamps are
# whole seconds, status < 16); arg_min/arg_max skip NULL values, as "the earliest event that
# carries one" asks. (A GROUP BY dedupe with arg_max was faster at 1M events but 1.6x slower
# at 10M, where both spill under the 2GB limit.)
BASELINE_SQL = """
CREATE OR REPLACE TABLE bench.baseline_dossiers AS
WITH events AS (
    SELECT
        "MaHoSo" AS dossier_code,
        "TrangThaiHoSo" AS status,
        "ThoiDiem" AS event_at,
        epoch_us("ThoiDiem") * 16 + "TrangThaiHoSo" AS seq,
        "MaTTHC" AS procedure_code,
        "MaDonVi" AS agency_code,
        "KenhThucHien" AS channel,
        "NgayHenTra" AS due_at,
        "HinhThucTra" AS return_method,
        "DuocThanhToanTrucTuyen" AS paid_online_code
    FROM raw_portal.events
    QUALIFY row_number() OVER (
        PARTITION BY "MaHoSo", "TrangThaiHoSo", "ThoiDiem"
        ORDER BY "_source_file" DESC, "_source_line" DESC
    ) = 1
),
facts AS (
    SELECT
        dossier_code,
        min(event_at) FILTER (WHERE status = 2) AS received_at,
        arg_min(channel, seq) AS channel,
        coalesce(
            arg_min(agency_code, seq) FILTER (WHERE status = 2), arg_min(agency_code, seq)
        ) AS agency_code,
        arg_min(procedure_code, seq) AS procedure_code,
        arg_min(due_at, seq) AS due_at,
        count(*) FILTER (WHERE status = 5) AS supplement_requests,
        min(event_at) FILTER (WHERE status = 9) AS processed_at,
        min(event_at) FILTER (WHERE status = 10) AS returned_at,
        min(event_at) FILTER (WHERE status IN (3, 8)) AS stopped_at,
        min(event_at) FILTER (WHERE status = 7) AS withdrawn_at,
        coalesce(arg_max(return_method, seq) = 1, false) AS result_by_post,
        coalesce(bool_or(paid_online_code IN (1, 2)), false) AS paid_online
    FROM events
    GROUP BY dossier_code
)
SELECT
    dossier_code,
    received_at,
    channel,
    agency_code,
    procedure_code,
    due_at,
    supplement_requests,
    CASE WHEN withdrawn_at IS NULL THEN coalesce(processed_at, returned_at, stopped_at) END
        AS finished_at,
    coalesce(finished_at <= due_at AND supplement_requests <= 1, false) AS on_time,
    result_by_post,
    paid_online,
    withdrawn_at
FROM facts
"""

# An incremental build must leave these equal to a full refresh's.
COMPARED_TABLES = (
    "marts.fct_dossiers",
    "kpi.kpi_yearly",
    "kpi.kpi_periodic",
    "kpi.kpi_periodic_wide",
    "kpi.kpi_targets",
)

BASELINE_COLUMNS = (
    "dossier_code, received_at, channel, agency_code, procedure_code, due_at, "
    "supplement_requests, finished_at, on_time, result_by_post, paid_online, withdrawn_at"
)


def rows_only_in(con, left: str, right: str) -> tuple[int, int]:
    """(rows of query ``left`` missing from ``right``, rows of ``right`` missing from ``left``):
    EXCEPT ALL both ways, so a duplicated row counts; (0, 0) means the same rows."""
    return tuple(
        con.execute(f"SELECT count(*) FROM ({a} EXCEPT ALL {b})").fetchone()[0]
        for a, b in ((left, right), (right, left))
    )


def check_baseline(con) -> dict:
    def one(sql: str) -> tuple:
        return con.execute(sql).fetchone()

    stats = (
        "SELECT count(*), count(*) FILTER (WHERE on_time), sum(supplement_requests), "
        "count(*) FILTER (WHERE finished_at IS NOT NULL) FROM {}"
    )
    baseline = one(stats.format("bench.baseline_dossiers"))
    fact = one(stats.format("marts.fct_dossiers"))
    only_baseline, only_fact = rows_only_in(
        con,
        f"SELECT {BASELINE_COLUMNS} FROM bench.baseline_dossiers",
        f"SELECT {BASELINE_COLUMNS} FROM marts.fct_dossiers",
    )
    return {"baseline": baseline, "fact": fact, "only_baseline": only_baseline, "only_fact": only_fact}


def compare_with_incremental(con) -> dict:
    from tests.golden_outputs import rows_as_built

    out = {}
    for table in COMPARED_TABLES:
        snapshot = "bench.incremental_" + table.replace(".", "_")
        rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        only_incremental, only_full = rows_only_in(con, rows_as_built(con, snapshot), rows_as_built(con, table))
        out[table] = {"rows": rows, "only_incremental": only_incremental, "only_full": only_full}
    return out
