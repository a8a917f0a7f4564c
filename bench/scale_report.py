"""bench/scale.py's report: each run's figures per phase and sizes (printed), and the summary of
a whole run's sizes against the targets of issue 15 with the closing JSON record."""

from __future__ import annotations

from bench.scale_run import MIB, PHASES


def report_run(figure: dict, rows: int) -> None:
    load = "/".join(f"{x:.1f}" for x in (figure["load_before"][0], figure["load_after"][0]))
    status = "" if figure["returncode"] == 0 else f"  FAILED (exit {figure['returncode']}: {figure['failed_steps']})"
    print(
        f"  {figure['label']:<8} {figure['seconds']:8.1f} s wall, {figure['cpu_seconds']:7.1f} CPU-s, "
        f"peak RSS {figure['peak_rss'] / MIB:,.0f} MiB, peak spill {figure['peak_spill'] / MIB:,.0f} MiB, "
        f"load average {load}{status}",
        flush=True,
    )
    for phase in PHASES:
        p = figure["phases"][phase]
        rate = rows / p["seconds"] if p["seconds"] else 0
        print(
            f"    {phase:<8} {p['seconds']:8.1f} s  {p['cpu_seconds']:7.1f} CPU-s  {rate:>12,.0f} events/s  "
            f"peak RSS {p['peak_rss'] / MIB:7,.0f} MiB  "
            f"spill {p['peak_spill'] / MIB:7,.0f} MiB",
            flush=True,
        )
    print(
        f"    (other: {figure['before_steps_seconds']:.1f} s before the first step, "
        f"{figure['after_steps_seconds']:.1f} s after the last)",
        flush=True,
    )
    if "dbt" in figure:
        slow = ", ".join(f"{name} {seconds:.1f}" for seconds, _kind, name in figure["dbt"]["slowest"][:6])
        print(f"    dbt nodes: {figure['dbt']['dbt_elapsed']:.1f} s inside dbt; slowest: {slow}", flush=True)
    for line in figure.get("tail", []):
        print(f"      {line}")


def report_sizes(figure: dict) -> None:
    counts = figure["counts"]
    print(
        f"    sizes: warehouse {figure['warehouse_bytes'] / MIB:,.0f} MiB, snapshot kpi.duckdb "
        f"{figure['snapshot_bytes'] / MIB:,.0f} MiB, Parquet {figure['parquet_bytes'] / MIB:,.0f} MiB; "
        f"{counts['events']:,} events, {counts['dossiers']:,} dossiers, {counts['kpi_yearly']:,} kpi_yearly rows, "
        f"{counts['blocking_failures']} blocking check failures",
        flush=True,
    )


def node_seconds(figure: dict, name: str) -> float | None:
    for seconds, _kind, node in figure.get("dbt", {}).get("slowest", []):
        if node == name:
            return seconds
    return None


def summarise(results: list[dict]) -> dict:
    """Targets over the sizes of this run, and the JSON record."""
    by_size = {r["events"]: r for r in results}
    ten = next((r for n, r in sorted(by_size.items()) if 9_000_000 <= n <= 11_000_000), None)
    thirty = next((r for n, r in sorted(by_size.items()) if 28_000_000 <= n <= 32_000_000), None)
    record: dict = {"bench": "scale", "sizes": []}
    print("\nsummary")
    for result in results:
        entry: dict = {"events": result["events"], "months": result["months"]}
        for run_name in ("full", "monthly"):
            figure = result.get(run_name)
            if not figure:
                continue
            entry[run_name] = {
                "seconds": round(figure["seconds"], 2),
                "cpu_seconds": round(figure["cpu_seconds"], 1),
                "peak_rss_mib": round(figure["peak_rss"] / MIB),
                "peak_spill_mib": round(figure["peak_spill"] / MIB),
                "ok": figure["returncode"] == 0,
                "load": [round(figure["load_before"][0], 1), round(figure["load_after"][0], 1)],
                "phases": {
                    p: {
                        "seconds": round(v["seconds"], 2),
                        "cpu_seconds": round(v["cpu_seconds"], 1),
                        "peak_rss_mib": round(v["peak_rss"] / MIB),
                        "spill_mib": round(v["peak_spill"] / MIB),
                    }
                    for p, v in figure["phases"].items()
                },
                "fct_dossiers_s": node_seconds(figure, "fct_dossiers"),
                "kpi_yearly_s": node_seconds(figure, "kpi_yearly"),
            }
            for key in ("warehouse_bytes", "snapshot_bytes", "parquet_bytes"):
                if key in figure:
                    entry[run_name][key.replace("_bytes", "_mib")] = round(figure[key] / MIB, 1)
        if "refresh" in result:
            entry["refresh_s"] = round(result["refresh"]["seconds"], 2)
            entry["incremental_equals_refresh"] = result["refresh"].get("equal")
        record["sizes"].append(entry)
        peak = max((result[r]["peak_rss"] for r in ("full", "monthly") if r in result), default=0)
        print(f"  {result['events']:>12,} events: peak RSS {peak / 2**30:.2f} GiB (target <= 4 GB: "
              f"{'met' if peak <= 4e9 else 'MISSED'})")  # fmt: skip
    if ten and "full" in ten:
        for result in results:
            if result is ten or "full" not in result:
                continue
            factor = result["events"] / ten["events"]
            parts = []
            for phase in PHASES:
                base, here = ten["full"]["phases"][phase], result["full"]["phases"][phase]
                ratio = here["seconds"] / base["seconds"] if base["seconds"] else float("nan")
                cpu = here["cpu_seconds"] / base["cpu_seconds"] if base["cpu_seconds"] else float("nan")
                ok = here["seconds"] <= 1.1 * factor * base["seconds"]
                parts.append(f"{phase} {ratio:.2f}x{'' if ok else ' (MISSED)'} (CPU {cpu:.2f}x)")
            total = result["full"]["seconds"] / ten["full"]["seconds"]
            cpu_total = result["full"]["cpu_seconds"] / ten["full"]["cpu_seconds"]
            print(
                f"  full run at {result['events']:,} / at 10M: {total:.2f}x wall, {cpu_total:.2f}x CPU for "
                f"{factor:.1f}x the events (linear bound {1.1 * factor:.2f}x); {', '.join(parts)}"
            )
    if ten and thirty and "monthly" in ten and "monthly" in thirty:
        base, here = ten["monthly"]["phases"]["dbt"], thirty["monthly"]["phases"]["dbt"]
        ratio = here["seconds"] / base["seconds"]
        cpu = here["cpu_seconds"] / base["cpu_seconds"] if base["cpu_seconds"] else float("nan")
        record["monthly_dbt_30m_over_10m"] = round(ratio, 3)
        record["monthly_dbt_cpu_30m_over_10m"] = round(cpu, 3)
        print(
            f"  monthly run's dbt step at 30M / at 10M: {here['seconds']:.1f} / {base['seconds']:.1f} s = {ratio:.2f}x "
            f"(target <= 1.25x: {'met' if ratio <= 1.25 else 'MISSED'}); CPU {here['cpu_seconds']:.1f} / "
            f"{base['cpu_seconds']:.1f} s = {cpu:.2f}x"
        )
    return record
