"""bench/transform.py's summary of one size against the targets (printed) and its figures for
the closing JSON line."""

from __future__ import annotations

GIB = 2**30


def summarise_targets(figures: dict) -> None:
    startup, full, baseline = figures["startup"], figures["full"], figures["baseline"]
    incremental, refresh = figures.get("incremental"), figures.get("refresh")
    failed = [f["label"] for f in (startup, full, incremental, refresh) if f and f["returncode"] != 0]
    if failed:
        print(f"  dbt FAILED in: {', '.join(failed)} (times of failed builds are not comparable)")
    bound = 2 * baseline["seconds"] + startup["seconds"]
    print(
        f"  full build {full['seconds']:.1f} s vs 2 x baseline + start-up = 2 x {baseline['seconds']:.1f} + "
        f"{startup['seconds']:.1f} = {bound:.1f} s: {full['seconds'] / bound:.2f}x "
        f"({'met' if full['seconds'] <= bound and full['returncode'] == 0 else 'MISSED'}); "
        f"full build / baseline = {full['seconds'] / baseline['seconds']:.1f}x, "
        f"minus start-up {(full['seconds'] - startup['seconds']) / baseline['seconds']:.1f}x",
        flush=True,
    )
    if incremental and refresh:
        share = incremental["seconds"] / full["seconds"]
        ok = share <= 0.2 and incremental["returncode"] == 0
        print(
            f"  incremental / full = {share:.1%} (target <= 20%: {'met' if ok else 'MISSED'}); "
            f"incremental / refresh = {incremental['seconds'] / refresh['seconds']:.1%}; both minus start-up: "
            f"{(incremental['seconds'] - startup['seconds']) / (full['seconds'] - startup['seconds']):.1%}",
            flush=True,
        )
        # the floor of any incremental build: dbt's fixed cost (import, parse, 42 nodes' overhead)
        print(
            f"  start-up alone (a build with no rows) / full = {startup['seconds'] / full['seconds']:.1%}: "
            "no incremental dbt build can cost less",
            flush=True,
        )
    if figures["references"]:
        ratios = [
            mine["seconds"] / theirs["seconds"]
            for theirs, mine in zip(figures["references"], figures["full_builds"], strict=True)
        ]
        print(
            "  full build / reference full build, paired: "
            + ", ".join(
                f"{mine['seconds']:.1f} / {theirs['seconds']:.1f} s = {ratio:.2f}x"
                for theirs, mine, ratio in zip(figures["references"], figures["full_builds"], ratios, strict=True)
            )
            + f" (target <= 1.3x: {'met' if max(ratios) <= 1.3 else 'MISSED' if min(ratios) > 1.3 else 'mixed'})",
            flush=True,
        )
    builds = [f for f in (startup, incremental, refresh, *figures["full_builds"]) if f]
    dbt_peak = max(max(f["peak_rss"], f.get("kernel_max_rss", 0)) for f in builds)
    peak = max(dbt_peak, baseline["peak_rss"])
    figures["peak_rss"] = peak
    print(
        f"  peak RSS: dbt {dbt_peak / GIB:.2f} GiB, baseline {baseline['peak_rss'] / GIB:.2f} GiB "
        f"(target <= 4 GB: {'met' if peak <= 4e9 else 'MISSED'})",
        flush=True,
    )


def json_figures(figures: dict) -> dict:
    """One size's figures for the closing JSON line."""

    def seconds(figure: dict | None) -> float | None:
        return round(figure["seconds"], 2) if figure else None

    full = figures["full"]
    models = full.get("models", {})
    out = {
        "events": figures["events"],
        "full_build_s": seconds(full),
        "fct_dossiers_s": round(models["fct_dossiers"], 2) if "fct_dossiers" in models else None,
        # the models after the facts: which periods have rows, the components, every KPI table
        "kpi_models_s": round(sum(s for name, s in models.items() if name.startswith(("int_kpi_", "kpi_"))), 2),
        "baseline_s": seconds(figures["baseline"]),
        "startup_s": seconds(figures["startup"]),
        "incremental_s": seconds(figures.get("incremental")),
        "refresh_s": seconds(figures.get("refresh")),
        "peak_rss_mib": round(figures.get("peak_rss", 0) / 2**20),
        "incremental_equals_refresh": figures.get("incremental_equals_refresh"),
        "dbt_ok": all(f["returncode"] == 0 for f in (full, figures.get("incremental"), figures.get("refresh")) if f),
    }
    if figures["references"]:
        out["reference_full_build_s"] = [seconds(f) for f in figures["references"]]
        out["paired_full_build_s"] = [seconds(f) for f in figures["full_builds"]]
        out["full_vs_reference"] = [
            round(mine["seconds"] / theirs["seconds"], 3)
            for theirs, mine in zip(figures["references"], figures["full_builds"], strict=True)
        ]
    return out
