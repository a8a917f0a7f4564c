"""The summary paragraph, generated from the figures in the style of the department's own reports,
once in Vietnamese and once in English (plain text; the template escapes it).

Each language has its own sentences, not a translation of the other's, and formats its numbers
with its own locale. Every change is against the same period of the year before.
"""

from __future__ import annotations

from serving.i18n import EN, VI, Language
from serving.report_data import ReportData


def _changed(change: float | None, unit: str, lang: Language) -> str:
    """ "tăng 217" / "up 217", "giảm 0,1 điểm phần trăm" / "down 0.1 percentage points"."""
    if change is None:
        return ""
    if change == 0:
        return "không đổi" if lang.code == "vi" else "unchanged"
    size = lang.points(change, unit)
    if lang.code == "vi":
        return f"{'tăng' if change > 0 else 'giảm'} {size}"
    return f"{'up' if change > 0 else 'down'} {size}"


def _in_sentence(name: str) -> str:
    """An indicator's name inside a sentence: "Tỷ lệ hồ sơ ..." -> "tỷ lệ hồ sơ ..."."""
    return name[:1].lower() + name[1:]


def narrative_vi(data: ReportData, province: str) -> str:
    lang, period = VI, data.period
    against = lang.compared_with(period)
    same = f"năm {period.year - 1}" if period.is_annual else f"cùng kỳ năm {period.year - 1}"
    by_end = lang.by_end_of(period)
    figure = data.figure
    sentences: list[str] = []

    level3, level4 = figure("online_services_level3"), figure("online_services_level4")
    if level3.value is not None:
        opening = f"Năm {period.year}" if period.is_annual else by_end
        text = (
            f"{opening}, toàn tỉnh {province} có {lang.number(level3.value, 'count')} dịch vụ công trực tuyến mức độ 3"
        )
        if level4.value is not None:
            text += f" và {lang.number(level4.value, 'count')} dịch vụ mức độ 4"
        text += " đang có hiệu lực"
        if level3.change is not None:
            text += f" (mức độ 3 {_changed(level3.change, 'count', lang)} {against}"
            if level4.change is not None:
                text += f", mức độ 4 {_changed(level4.change, 'count', lang)}"
            text += ")"
        sentences.append(text + ".")

    received = figure("dossiers_received")
    if received.value is not None:
        opening = (
            "Các cơ quan, đơn vị" if period.is_annual else f"Trong {lang.period_name(period)}, các cơ quan, đơn vị"
        )
        text = f"{opening} đã tiếp nhận {lang.number(received.value, 'count')} hồ sơ thủ tục hành chính"
        if received.change is not None:
            text += f" ({_changed(received.change, 'count', lang)} hồ sơ"
            if received.change_pct is not None:
                text += f", {lang.change_pct(received.change_pct)}"
            text += f" {against})"
        online, on_time = figure("online_submission_rate"), figure("on_time_rate")
        if online.value is not None:
            text += f", trong đó {lang.number(online.value, 'ratio')} hồ sơ được nộp trực tuyến"
            if online.prior is not None:
                text += f" ({same}: {lang.number(online.prior, 'ratio')})"
        if on_time.value is not None:
            text += f"; {lang.number(on_time.value, 'ratio')} hồ sơ được giải quyết đúng hạn"
            if on_time.prior is not None:
                text += f" ({same}: {lang.number(on_time.prior, 'ratio')})"
        sentences.append(text + ".")

    overdue = figure("overdue_open_at_year_end")
    if overdue.value is not None:
        text = f"{by_end}, còn {lang.number(overdue.value, 'count')} hồ sơ quá hạn chưa giải quyết"
        if overdue.change is not None:
            text += f" ({_changed(overdue.change, 'count', lang)} {against})"
        sentences.append(text + ".")

    shipments = figure("postal_result_shipments")
    if shipments.value is not None:
        text = f"{lang.number(shipments.value, 'count')} kết quả giải quyết được trả qua dịch vụ bưu chính công ích"
        if shipments.change is not None:
            text += f" ({_changed(shipments.change, 'count', lang)} {against})"
        sentences.append(text + ".")

    mailboxes = figure("mailboxes_issued")
    if mailboxes.value is not None:
        text = f"{by_end}, đã cấp {lang.number(mailboxes.value, 'count')} hộp thư điện tử công vụ"
        if mailboxes.change is not None:
            text += f", {_changed(mailboxes.change, 'count', lang)} hộp thư {against}"
        sentences.append(text + ".")

    if data.province_targets:
        sentences.append(_targets_vi(data))
    return " ".join(sentences)


def _targets_vi(data: ReportData) -> str:
    lang, period = VI, data.period
    checks = data.province_targets
    met = [code for code, check in checks.items() if check.met]
    missed = [code for code, check in checks.items() if check.met is False]
    pending = [code for code, check in checks.items() if check.met is None and check.value is not None]
    text = f"Trong {len(checks)} chỉ tiêu kế hoạch năm {period.year} của tỉnh, "
    if period.period_type == "ytd" and not period.is_annual:
        text += f"tính đến hết {lang.month_year(period.year, period.last_month)} "
    elif not period.is_annual:
        text += f"xét riêng {lang.period_name(period)} "
    text += "đã đạt "
    text += f"{len(met)} chỉ tiêu"
    if missed:
        parts = []
        for code in missed:
            indicator, check = data.indicator(code), checks[code]
            parts.append(
                f"{_in_sentence(indicator.name_vi)} ({lang.number(check.value, indicator.unit)}, "
                f"kế hoạch {lang.number(check.target, indicator.unit)})"
            )
        text += "; chưa đạt: " + "; ".join(parts)
    if pending:
        text += f"; {len(pending)} chỉ tiêu cộng dồn được đánh giá vào cuối năm"
    return text + "."


def narrative_en(data: ReportData, province: str) -> str:
    lang, period = EN, data.period
    against = lang.compared_with(period)
    same = str(period.year - 1) if period.is_annual else f"same period of {period.year - 1}"
    by_end = lang.by_end_of(period)
    figure = data.figure
    sentences: list[str] = []

    level3, level4 = figure("online_services_level3"), figure("online_services_level4")
    if level3.value is not None:
        opening = f"In {period.year}" if period.is_annual else f"{by_end},"
        text = (
            f"{opening} the province of {province} had {lang.number(level3.value, 'count')} online public services "
            "at level 3"
        )
        if level4.value is not None:
            text += f" and {lang.number(level4.value, 'count')} at level 4"
        text += " in force"
        if level3.change is not None:
            text += f" (level 3 {_changed(level3.change, 'count', lang)} {against}"
            if level4.change is not None:
                text += f", level 4 {_changed(level4.change, 'count', lang)}"
            text += ")"
        sentences.append(text + ".")

    received = figure("dossiers_received")
    if received.value is not None:
        opening = "Agencies" if period.is_annual else f"In {lang.period_name(period)}, agencies"
        text = f"{opening} received {lang.number(received.value, 'count')} administrative dossiers"
        if received.change is not None:
            text += f" ({_changed(received.change, 'count', lang)}"
            if received.change_pct is not None:
                text += f", {lang.change_pct(received.change_pct)}"
            text += f" {against})"
        online, on_time = figure("online_submission_rate"), figure("on_time_rate")
        if online.value is not None:
            text += f", {lang.number(online.value, 'ratio')} of them submitted online"
            if online.prior is not None:
                text += f" ({same}: {lang.number(online.prior, 'ratio')})"
        if on_time.value is not None:
            text += f"; {lang.number(on_time.value, 'ratio')} were processed on time"
            if on_time.prior is not None:
                text += f" ({same}: {lang.number(on_time.prior, 'ratio')})"
        sentences.append(text + ".")

    overdue = figure("overdue_open_at_year_end")
    if overdue.value is not None:
        text = f"{by_end}, {lang.number(overdue.value, 'count')} dossiers were overdue and still open"
        if overdue.change is not None:
            text += f" ({_changed(overdue.change, 'count', lang)} {against})"
        sentences.append(text + ".")

    shipments = figure("postal_result_shipments")
    if shipments.value is not None:
        text = f"{lang.number(shipments.value, 'count')} results were returned through the public postal service"
        if shipments.change is not None:
            text += f" ({_changed(shipments.change, 'count', lang)} {against})"
        sentences.append(text + ".")

    mailboxes = figure("mailboxes_issued")
    if mailboxes.value is not None:
        text = f"{by_end}, {lang.number(mailboxes.value, 'count')} official mailboxes had been issued"
        if mailboxes.change is not None:
            text += f", {_changed(mailboxes.change, 'count', lang)} {against}"
        sentences.append(text + ".")

    if data.province_targets:
        sentences.append(_targets_en(data))
    return " ".join(sentences)


def _targets_en(data: ReportData) -> str:
    lang, period = EN, data.period
    checks = data.province_targets
    met = [code for code, check in checks.items() if check.met]
    missed = [code for code, check in checks.items() if check.met is False]
    pending = [code for code, check in checks.items() if check.met is None and check.value is not None]
    text = f"Of the {len(checks)} province targets of the {period.year} plan, {len(met)} "
    text += "was met" if len(met) == 1 else "were met"
    if period.period_type == "ytd" and not period.is_annual:
        text += f" by the end of {lang.month_year(period.year, period.last_month)}"
    elif not period.is_annual:
        text += f" in {lang.period_name(period)} taken alone"
    if missed:
        parts = []
        for code in missed:
            indicator, check = data.indicator(code), checks[code]
            parts.append(
                f"{_in_sentence(indicator.name_en)} ({lang.number(check.value, indicator.unit)} against "
                f"{lang.number(check.target, indicator.unit)})"
            )
        text += "; not met: " + "; ".join(parts)
    if pending:
        targets = "cumulative target is" if len(pending) == 1 else "cumulative targets are"
        text += f"; {len(pending)} {targets} assessed at the end of the year"
    return text + "."


def narrative(data: ReportData, province: str) -> tuple[str, str]:
    """(Vietnamese, English)."""
    return narrative_vi(data, province), narrative_en(data, province)
