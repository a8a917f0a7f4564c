"""Why a row is rejected, as structured values rendered in English and Vietnamese.

A reason is (``code``, ``field``, ``value``, ``detail``): the loader's SQL builds them as
DuckDB structs (``raw_<source>.rejects.reasons``, a list: a row can break several rules) and
renders the English text into ``rejects.reason`` from the same templates; `parkpi check-file`
renders them in Vietnamese from the structs. No text is ever parsed back into a reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sources.contract import Field

# How each field kind is written, for "is not ..." reasons: {kind: (English, Vietnamese)}.
FORMAT_HINTS: dict[str, tuple[str, str]] = {
    "int": ("a whole number", "số nguyên"),
    "int_thousands": (
        'a whole number ("." allowed as thousands separator)',
        'số nguyên (cho phép dấu "." phân cách hàng nghìn)',
    ),
    "number_vn": (
        'a number written the Vietnamese way ("." groups thousands, "," is the decimal mark: 1.500 or 7,5)',
        'một số viết theo kiểu Việt Nam (dấu "." phân cách hàng nghìn, dấu "," là dấu thập phân: 1.500 hoặc 7,5)',
    ),
    "ts_compact": ("yyyyMMddHHmmss", "thời điểm dạng yyyyMMddHHmmss"),
    "ts_vn": ("dd/mm/yyyy HH:MM", "thời điểm dạng dd/mm/yyyy HH:MM"),
    "month_vn": ("MM/yyyy", "tháng dạng MM/yyyy"),
    "date_iso": ("yyyy-mm-dd", "ngày dạng yyyy-mm-dd"),
    "year": ("a year (yyyy)", "năm dạng yyyy"),
}

# {code: (English, Vietnamese)}; placeholders {field}, {value}, {detail}, and {hint} (the
# format hint of the kind named by detail).
TEMPLATES: dict[str, tuple[str, str]] = {
    "required_missing": ("{field}: required value missing", "{field}: thiếu giá trị bắt buộc"),
    "bad_format": ("{field}: '{value}' is not {hint}", "{field}: '{value}' không phải {hint}"),
    "not_in_list": ("{field}: '{value}' is not one of {detail}", "{field}: '{value}' không thuộc các giá trị {detail}"),
    "not_json_object": ("line is not a JSON object", "dòng không phải một đối tượng JSON"),
    "bad_csv_row": ("not a valid CSV row: {detail}", "không phải một dòng CSV hợp lệ: {detail}"),
    # catalog/targets.csv (sources/catalog.py)
    "unknown_indicator": (
        "{field}: '{value}' is not an indicator code (docs/indicators.md lists them)",
        "{field}: '{value}' không phải mã chỉ tiêu (xem danh sách trong docs/indicators.md)",
    ),
    "unknown_agency": (
        "{field}: '{value}' is neither ALL nor an agency of today's structure in agencies.csv",
        "{field}: '{value}' không phải ALL cũng không phải một đơn vị trong cơ cấu hiện nay của agencies.csv",
    ),
    "merged_agency": (
        "{field}: '{value}' was merged into {detail}; give the target for {detail}",
        "{field}: '{value}' đã được sáp nhập vào {detail}; hãy đặt chỉ tiêu cho {detail}",
    ),
    "province_only": (
        "{field}: '{value}' is not allowed for {detail}, a catalogue indicator with a province target only: use ALL",
        "{field}: '{value}' không dùng được cho {detail}, chỉ tiêu danh mục chỉ có chỉ tiêu toàn tỉnh: hãy ghi ALL",
    ),
    "percentage_out_of_range": (
        "{field}: '{value}' is not a percentage from 0 to 100 (the target of {detail}, a ratio)",
        "{field}: '{value}' không phải tỷ lệ phần trăm từ 0 đến 100 (chỉ tiêu {detail} là một tỷ lệ)",
    ),
    "negative_target": (
        "{field}: '{value}' is negative (the target of {detail}, a count or a number of days)",
        "{field}: '{value}' là số âm (chỉ tiêu {detail} là một số đếm hoặc số ngày)",
    ),
    "percent_sign_not_allowed": (
        "{field}: '{value}' has a % sign, but {detail} is not a ratio: write a plain number",
        "{field}: '{value}' có dấu %, nhưng {detail} không phải tỷ lệ: hãy ghi một số thường",
    ),
}
LANGUAGES = ("en", "vi")


@dataclass(frozen=True)
class Reason:
    code: str
    field: str | None = None
    value: str | None = None
    detail: str | None = None

    def render(self, language: str = "en") -> str:
        template = TEMPLATES[self.code][LANGUAGES.index(language)]
        hint = FORMAT_HINTS[self.detail][LANGUAGES.index(language)] if self.code == "bad_format" else ""
        return template.format(field=self.field, value=self.value, detail=self.detail, hint=hint)


def render_all(reasons: list[Reason] | list[dict] | None, language: str = "en") -> str:
    """Several reasons, as ``rejects.reason`` joins them."""
    values = [r if isinstance(r, Reason) else Reason(**r) for r in reasons or []]
    return "; ".join(r.render(language) for r in values)


# -- SQL --------------------------------------------------------------------------------------


def literal(value: object) -> str:
    """A SQL literal for a str or int."""
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def struct_sql(code: str, field: str | None, value: str = "NULL", detail: str = "NULL") -> str:
    """SQL for one reason struct; ``value`` and ``detail`` are SQL expressions."""
    return (
        f"{{'code': {literal(code)}, 'field': {literal(field) if field is not None else 'NULL'}::VARCHAR, "
        f"'value': ({value})::VARCHAR, 'detail': ({detail})::VARCHAR}}"
    )


def required_missing_sql(field: Field) -> str:
    return struct_sql("required_missing", field.name)


def bad_format_sql(field: Field, value: str) -> str:
    return struct_sql("bad_format", field.name, value, literal(field.kind))


def not_in_list_sql(field: Field, value: str) -> str:
    shown = ", ".join(str(v) for v in field.allowed or ())
    return struct_sql("not_in_list", field.name, value, literal(shown))


def _template_sql(template: str, row: str, hint: str) -> str:
    """An English template as SQL concatenation over the struct ``row``."""
    parts = []
    for piece in re.split(r"(\{\w+\})", template):
        if not piece:
            continue
        name = piece[1:-1] if piece.startswith("{") and piece.endswith("}") else None
        if name == "hint":
            parts.append(hint)
        elif name is not None:
            parts.append(f"coalesce({row}.{name}, '')")
        else:
            parts.append(literal(piece))
    return " || ".join(parts)


def english_sql(reasons: str) -> str:
    """SQL rendering the list of reason structs ``reasons`` as rejects.reason (NULL if empty)."""
    hint = (
        "CASE r.detail "
        + " ".join(f"WHEN {literal(k)} THEN {literal(en)}" for k, (en, _) in FORMAT_HINTS.items())
        + " END"
    )
    cases = " ".join(f"WHEN {literal(code)} THEN {_template_sql(en, 'r', hint)}" for code, (en, _) in TEMPLATES.items())
    return f"nullif(array_to_string(list_transform({reasons}, lambda r: CASE r.code {cases} END), '; '), '')"


REASON_TYPE = "STRUCT(code VARCHAR, field VARCHAR, value VARCHAR, detail VARCHAR)[]"
