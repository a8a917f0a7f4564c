"""A landing file that cannot be read at all: the load of its source fails, names the file, the
problem and the fix, in English and Vietnamese, and keeps nothing of the load.

Problems are structured (``code`` + parameters) and rendered from the templates below, so that
`parkpi check-file` shows every message whole in both languages.
"""

from __future__ import annotations

import gzip
import re
import unicodedata
import zlib
from collections.abc import Iterable

DOCS = "docs/landing-files.md"

# {code: ((English problem, English fix), (Vietnamese problem, Vietnamese fix))}
PROBLEMS: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    "not_gzip": (
        ("is not a readable gzip file ({detail})", "copy the export again; the file is truncated or not gzip"),
        (
            "không phải tệp gzip đọc được ({detail})",
            "hãy sao chép lại tệp xuất; tệp bị cắt cụt hoặc không phải gzip",
        ),
    ),
    "utf16": (
        ("is not UTF-8 text (it looks like UTF-16)", "export it again as UTF-8 (in Excel: CSV UTF-8)"),
        ("không phải văn bản UTF-8 (có vẻ là UTF-16)", "hãy xuất lại dưới dạng UTF-8 (trong Excel: CSV UTF-8)"),
    ),
    "not_utf8_byte": (
        (
            "is not UTF-8 text (byte {byte}: {sample})",
            "export it again as UTF-8 (Windows-1258 and TCVN3 are not accepted)",
        ),
        (
            "không phải văn bản UTF-8 (byte {byte}: {sample})",
            "hãy xuất lại dưới dạng UTF-8 (không chấp nhận Windows-1258 và TCVN3)",
        ),
    ),
    "not_utf8": (
        ("is not UTF-8 text{where}", "export it again as UTF-8 (with or without BOM)"),
        ("không phải văn bản UTF-8{where_vi}", "hãy xuất lại dưới dạng UTF-8 (có hoặc không có BOM)"),
    ),
    "not_xlsx": (
        ("is not a readable .xlsx workbook ({detail})", "save it again from Excel as .xlsx, or export as UTF-8 CSV"),
        (
            "không phải bảng tính .xlsx đọc được ({detail})",
            "hãy lưu lại từ Excel dưới dạng .xlsx, hoặc xuất ra CSV UTF-8",
        ),
    ),
    "bad_sheet": (
        ("cannot be read as a spreadsheet ({detail})", "save it again from Excel as .xlsx"),
        ("không đọc được như một bảng tính ({detail})", "hãy lưu lại từ Excel dưới dạng .xlsx"),
    ),
    "empty": (
        ("is empty (no header row)", "remove the file or export it again"),
        ("là tệp rỗng (không có dòng tiêu đề)", "hãy xóa tệp hoặc xuất lại"),
    ),
    "missing_columns": (
        ("missing required columns: {columns}", "{fix_en}"),
        ("thiếu cột bắt buộc: {columns}", "{fix_vi}"),
    ),
    "long_line": (
        (
            "has a line longer than {mib} MiB{where}, longer than any record of the contract can be",
            "check that the file is an export with one record per line (JSON Lines or CSV), not one huge line",
        ),
        (
            "có một dòng dài hơn {mib} MiB{where_vi}, dài hơn mọi bản ghi hợp lệ",
            "hãy kiểm tra rằng tệp là bản xuất mỗi dòng một bản ghi (JSON Lines hoặc CSV), "
            "không phải một dòng khổng lồ",
        ),
    ),
    "key_twice": (
        (
            'has the key "{key}" twice in one record (line {line})',
            "remove the repeated key from that line, or export the file again",
        ),
        (
            'có khóa "{key}" lặp lại hai lần trong cùng một bản ghi (dòng {line})',
            "hãy xóa khóa lặp lại ở dòng đó, hoặc xuất lại tệp",
        ),
    ),
    "unreadable": (
        ("cannot be read: {detail}", f"check that it is a complete export in an accepted format ({DOCS})"),
        ("không đọc được: {detail}", f"hãy kiểm tra rằng đó là một bản xuất đầy đủ, đúng định dạng ({DOCS})"),
    ),
    "internal": (
        ("internal check failed: {detail}", "please report this file to the parkpi maintainers"),
        ("lỗi kiểm tra nội bộ: {detail}", "hãy gửi tệp này cho nhóm phát triển parkpi"),
    ),
}
KEPT = (
    "nothing of this load was kept; earlier data is untouched",
    "không giữ lại gì của lần nạp này; dữ liệu đã nạp trước đó không bị ảnh hưởng",
)


class LoadError(Exception):
    """A landing file could not be read at all; nothing of this load was kept."""

    def __init__(self, source: str, file: str, code: str, **params: object) -> None:
        self.source, self.file, self.code, self.params = source, file, code, params
        super().__init__(self.render("en"))

    def problem_text(self, language: str = "en") -> str:
        return self._texts(language)[0]

    def fix_text(self, language: str = "en") -> str:
        return self._texts(language)[1]

    # English attributes kept for callers that show one language
    @property
    def problem(self) -> str:
        return self.problem_text("en")

    @property
    def fix(self) -> str:
        return self.fix_text("en")

    def _texts(self, language: str) -> tuple[str, str]:
        problem, fix = PROBLEMS[self.code][0 if language == "en" else 1]
        values = {"where": "", "where_vi": "", **{k: v for k, v in self.params.items()}}
        return problem.format(**values), fix.format(**values)

    def render(self, language: str = "en") -> str:
        problem, fix = self._texts(language)
        message = f"[{self.source}] {self.file}: {problem}"
        if fix:
            message += f" — {fix}"
        return message + f" ({KEPT[0 if language == 'en' else 1]})"


def _plain(text: str) -> str:
    """A header without case, diacritics or surrounding spaces: 'Mã bưu gửi' -> 'ma buu gui'."""
    decomposed = unicodedata.normalize("NFD", text.strip().lower().replace("đ", "d"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def check_header(source: str, file: str, required: Iterable[str], header: Iterable[str]) -> None:
    """Every required column must be in the header, named exactly; a near miss (case,
    diacritics, spaces) gets a "should be" hint."""
    present = [h for h in header if isinstance(h, str)]
    missing = [name for name in required if name not in set(present)]
    if not missing:
        return
    near = {_plain(h): h for h in present}
    hints = [(near[_plain(m)], m) for m in missing if _plain(m) in near]
    if hints:
        fix_en = "headers must match the contract exactly: " + "; ".join(f"'{a}' should be '{b}'" for a, b in hints)
        fix_vi = "tên cột phải đúng chính xác như quy định: " + "; ".join(f"'{a}' phải là '{b}'" for a, b in hints)
    else:
        fix_en = f"the header row must name the contract's columns exactly ({DOCS})"
        fix_vi = f"dòng tiêu đề phải ghi đúng chính xác tên các cột theo quy định ({DOCS})"
    raise LoadError(source, file, "missing_columns", columns=", ".join(missing), fix_en=fix_en, fix_vi=fix_vi)


def sniff_text(source: str, file: str, path) -> None:
    """Cheap look at the first 64 KiB of a text export, for a clear message on the usual
    wrong encodings (UTF-16 from Excel, Windows-1258) before DuckDB reads it."""
    opener = gzip.open if file.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:
            head = handle.read(65536)
    except (OSError, EOFError, zlib.error) as error:
        raise LoadError(source, file, "not_gzip", detail=str(error)) from error
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head:
        raise LoadError(source, file, "utf16")
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 4:  # not just a character cut at the 64 KiB boundary
            sample = head[error.start : error.start + 1]
            raise LoadError(source, file, "not_utf8_byte", byte=error.start, sample=repr(sample)) from error


def diagnose(source: str, file: str, error: Exception) -> LoadError:
    """The LoadError for a DuckDB error raised while reading ``file``."""
    text = str(error)
    lowered = text.lower()
    if "unicode" in lowered or "utf-8" in lowered or "utf8" in lowered:
        return LoadError(source, file, "not_utf8")
    if "gzip" in lowered or "compress" in lowered or "zlib" in lowered or "inflate" in lowered:
        return LoadError(source, file, "not_gzip", detail=text.splitlines()[0])
    twice = re.search(r'in line (\d+): .*has duplicate key "([^"]*)"', text, re.S)
    if twice:
        return LoadError(source, file, "key_twice", key=twice.group(2), line=twice.group(1))
    too_long = re.search(r"Maximum line size of (\d+) bytes|\"maximum_object_size\" of (\d+) bytes", text)
    if too_long:
        limit = int(too_long.group(1) or too_long.group(2))
        line = re.search(r"on Line: (\d+)", text)
        return LoadError(
            source,
            file,
            "long_line",
            mib=f"{limit / 2**20:.0f}",
            where=f" (line {line.group(1)})" if line else "",
            where_vi=f" (dòng {line.group(1)})" if line else "",
        )
    return LoadError(source, file, "unreadable", detail=text.splitlines()[0])
