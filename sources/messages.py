"""Reject reasons and load errors in Vietnamese, beside the loader's English (for
`parkpi check-file`, which the people who export the files read).

The loader writes each reason in English from a few fixed shapes (sources/loader.py,
``reason_expressions`` and the line readers); several reasons are joined with "; ".
:func:`reason_vi` translates each shape; tests/test_cli.py checks that every reason the loader
gives on the sample and every format hint of the contract has a translation.
"""

from __future__ import annotations

import re

from sources.contracts import FORMAT_HINTS

FORMAT_HINTS_VI: dict[str, str] = {
    "int": "số nguyên",
    "int_thousands": 'số nguyên (cho phép dấu "." phân cách hàng nghìn)',
    "ts_compact": "thời điểm dạng yyyyMMddHHmmss",
    "ts_vn": "thời điểm dạng dd/mm/yyyy HH:MM",
    "month_vn": "tháng dạng MM/yyyy",
    "date_iso": "ngày dạng yyyy-mm-dd",
}
_HINT_VI = {FORMAT_HINTS[kind]: vi for kind, vi in FORMAT_HINTS_VI.items()}

# (English shape of one reason, its Vietnamese); groups: field, value, hint or list
_REASONS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^(?P<field>.+?): required value missing$"), "{field}: thiếu giá trị bắt buộc"),
    (
        re.compile(r"^(?P<field>.+?): '(?P<value>.*)' is not one of (?P<list>.+)$", re.S),
        "{field}: '{value}' không thuộc các giá trị {list}",
    ),
    (
        re.compile(r"^(?P<field>.+?): '(?P<value>.*)' is not (?P<hint>.+)$", re.S),
        "{field}: '{value}' không phải {hint}",
    ),
    (re.compile(r"^line is not a JSON object$"), "dòng không phải một đối tượng JSON"),
    (re.compile(r"^not a valid CSV row: (?P<detail>.*)$", re.S), "không phải một dòng CSV hợp lệ: {detail}"),
]

# The start of a LoadError's problem (sources/loader.py), and its Vietnamese
_PROBLEMS: list[tuple[str, str]] = [
    ("is not UTF-8 text", "không phải văn bản UTF-8"),
    ("is not a readable gzip file", "không phải tệp gzip đọc được (bị cắt cụt hoặc không phải gzip)"),
    ("is not a readable .xlsx workbook", "không phải bảng tính .xlsx đọc được"),
    ("cannot be read as a spreadsheet", "không đọc được như một bảng tính"),
    ("is empty", "tệp rỗng (không có dòng tiêu đề)"),
    ("missing required columns", "thiếu cột bắt buộc"),
    ("has a line longer than", "có một dòng dài hơn mọi bản ghi hợp lệ"),
    ("has the key", "có một khóa lặp lại hai lần trong cùng một bản ghi"),
    ("cannot be read", "không đọc được"),
]


def _one_reason_vi(reason: str) -> str | None:
    for pattern, template in _REASONS:
        match = pattern.match(reason)
        if match:
            parts = match.groupdict()
            if "hint" in parts:
                if parts["hint"] not in _HINT_VI:
                    continue
                parts["hint"] = _HINT_VI[parts["hint"]]
            return template.format(**parts)
    return None


def reason_vi(reason: str) -> str | None:
    """The Vietnamese of a reject reason; None if some part has no translation. Reasons are
    joined with "; ", which a quoted value may contain too: pieces are joined back until they
    make one known shape."""
    translated: list[str] = []
    pending = ""
    for piece in reason.split("; "):
        pending = f"{pending}; {piece}" if pending else piece
        vietnamese = _one_reason_vi(pending.strip())
        if vietnamese is not None:
            translated.append(vietnamese)
            pending = ""
    return None if pending or not translated else "; ".join(translated)


def problem_vi(problem: str) -> str | None:
    for english, vietnamese in _PROBLEMS:
        if problem.startswith(english) or f": {english}" in problem:
            return vietnamese
    return None
