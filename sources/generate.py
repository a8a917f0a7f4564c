"""Deterministic sample landing data for parkpi (Lạng Sơn province, code H33).

Writes a landing folder with the four sub-folders the landing-file formats describe
(`docs/landing-files.md`): `portal/`, `postal/`, `mailbox/`, `catalog/`.

Two entry points:

- `generate()` builds a small but believable province: activity of 2016-2020 in every
  accepted file format, with the facts of life the contract promises (duplicate events,
  overlapping exports, re-exported shipments, corrections) and, when `messy`, a handful of
  contract-violating rows per source. It reproduces the two calibration figures of
  `docs/indicators.md` ("The sample's figures") exactly. The committed `sources/sample/` is `generate()` with defaults.
- `generate_portal_events()` writes N clean portal events quickly (numpy + DuckDB) for
  benchmarks.

The province's structure and procedure catalogue are fixed (built from `CATALOG_SEED`), so
any generated activity, whatever its seed, refers to the same catalogue as the committed
sample. The seed varies the activity: dossiers, shipments and mailbox counts.

Everything is byte-for-byte reproducible: random streams come from explicit seeds, gzip
headers carry mtime 0, and xlsx archives get fixed document and zip-entry timestamps.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import shutil
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

SOURCES = ("portal", "postal", "mailbox", "catalog")
PROVINCE = "H33"
ROOT_CODE = f"000.00.00.{PROVINCE}"
# The catalogue is part of "the province", not of the activity: keep it independent of the
# activity seed so benchmark data and the committed sample share one catalogue.
CATALOG_SEED = 20171231

# Calibration targets (docs/indicators.md, "The sample's figures"; binding for the committed sample).
CALIBRATION_DAY = date(2017, 12, 31)
LEVEL3_ON_CALIBRATION_DAY = 154
MAILBOX_CALIBRATION_YEAR = 2017
MAILBOX_TARGET_RANGE = (8860, 8960)  # strictly inside the contract's 8,500-8,999

PORTAL_FIELDS = (
    "MaHoSo",
    "MaTTHC",
    "MaDonVi",
    "KenhThucHien",
    "MucDo",
    "TrangThaiHoSo",
    "ThoiDiem",
    "NgayHenTra",
    "HinhThucTra",
    "DuocThanhToanTrucTuyen",
    "LoaiDoiTuong",
)
PORTAL_INT_FIELDS = frozenset(
    {"KenhThucHien", "MucDo", "TrangThaiHoSo", "HinhThucTra", "DuocThanhToanTrucTuyen",
     "LoaiDoiTuong"}
)
PORTAL_REQUIRED = frozenset(
    {"MaHoSo", "MaTTHC", "MaDonVi", "KenhThucHien", "TrangThaiHoSo", "ThoiDiem"}
)
POSTAL_HEADER = (
    "Mã bưu gửi",
    "Mã hồ sơ",
    "Loại dịch vụ",
    "Mã đơn vị",
    "Ngày chấp nhận",
    "Ngày phát",
    "Trạng thái",
    "Cước (VNĐ)",
)
MAILBOX_HEADER = (
    "Mã đơn vị",
    "Tên đơn vị",
    "Kỳ báo cáo",
    "Tổng số hộp thư đã cấp",
    "Số hộp thư đang sử dụng",
    "Cấp mới trong kỳ",
    "Thu hồi trong kỳ",
)
AGENCY_HEADER = (
    "MaDonVi", "TenDonVi", "Cap", "MaDonViCha", "HieuLucTu", "HieuLucDen", "MaDonViKeThua",
)
PROCEDURE_HEADER = (
    "MaTTHC", "TenTTHC", "MaLinhVuc", "TenLinhVuc", "CapThucHien", "MucDo", "CoPhiLePhi",
    "HieuLucTu", "HieuLucDen",
)

SERVICE_SUBMISSION = "Chuyển phát hồ sơ"
SERVICE_RESULT = "Chuyển trả kết quả"
DELIVERED = "Phát thành công"
FAILED = "Phát không thành công"
RETURNED = "Chuyển hoàn"
IN_TRANSIT = "Đang vận chuyển"

# --------------------------------------------------------------------------------------
# The province: agencies
# --------------------------------------------------------------------------------------

# Codes follow the national portal's shape AAA.BB.CC.H33: CC is the provincial-level unit
# (01-29 departments, 31-41 district people's committees), BB numbers the communes inside
# a district, AAA is unused here.


def dept_code(number: int) -> str:
    return f"000.00.{number:02d}.{PROVINCE}"


def commune_code(district_number: int, number: int) -> str:
    return f"000.{number:02d}.{district_number:02d}.{PROVINCE}"


# (number, name, dossier weight, mailboxes at end of 2017, fields: (name, procedures, fee share))
DEPARTMENTS: tuple[tuple[int, str, float, int, tuple[tuple[str, int, float], ...]], ...] = (
    (1, "Sở Nội vụ", 1.0, 95, (
        ("Tổ chức bộ máy", 8, 0.0), ("Công chức, viên chức", 14, 0.0),
        ("Thi đua, khen thưởng", 12, 0.0), ("Tôn giáo", 18, 0.0), ("Văn thư, lưu trữ", 5, 0.2),
        ("Thanh niên", 3, 0.0))),
    (2, "Sở Tư pháp", 6.0, 85, (
        ("Lý lịch tư pháp", 3, 1.0), ("Công chứng", 28, 0.6), ("Luật sư", 22, 0.5),
        ("Hộ tịch", 12, 0.5), ("Trợ giúp pháp lý", 14, 0.0), ("Giám định tư pháp", 10, 0.3),
        ("Quốc tịch", 9, 0.8), ("Đấu giá tài sản", 8, 0.6), ("Nuôi con nuôi", 9, 0.6),
        ("Hòa giải thương mại", 10, 0.3))),
    (3, "Sở Kế hoạch và Đầu tư", 7.0, 70, (
        ("Thành lập và hoạt động của doanh nghiệp", 60, 0.6), ("Đầu tư tại Việt Nam", 38, 0.1),
        ("Thành lập và hoạt động của hợp tác xã", 18, 0.3), ("Đấu thầu", 14, 0.2))),
    (4, "Sở Tài chính", 0.6, 90, (
        ("Quản lý công sản", 14, 0.0), ("Quản lý giá", 8, 0.0), ("Tài chính ngân sách", 6, 0.0))),
    (5, "Sở Công Thương", 3.0, 150, (
        ("Lưu thông hàng hóa trong nước", 30, 0.7), ("Điện", 18, 0.6), ("Hóa chất", 16, 0.6),
        ("An toàn thực phẩm (Công Thương)", 10, 0.8), ("Xúc tiến thương mại", 12, 0.2),
        ("Kinh doanh khí", 14, 0.7), ("Vật liệu nổ công nghiệp", 10, 0.6),
        ("Thương mại quốc tế", 12, 0.5))),
    (6, "Sở Nông nghiệp và Phát triển nông thôn", 2.5, 420, (
        ("Trồng trọt", 14, 0.4), ("Bảo vệ thực vật", 14, 0.7), ("Thú y", 20, 0.8),
        ("Chăn nuôi", 10, 0.5), ("Lâm nghiệp", 22, 0.2), ("Thủy lợi", 14, 0.2),
        ("Thủy sản", 8, 0.3), ("Quản lý chất lượng nông lâm sản và thủy sản", 10, 0.7))),
    (7, "Sở Giao thông vận tải", 9.0, 130, (
        ("Đường bộ", 80, 0.8), ("Đường thủy nội địa", 26, 0.6), ("Đăng kiểm", 14, 0.8))),
    (8, "Sở Xây dựng", 2.5, 75, (
        ("Hoạt động xây dựng", 20, 0.7), ("Quy hoạch xây dựng", 8, 0.3), ("Nhà ở", 10, 0.3),
        ("Kinh doanh bất động sản", 6, 0.5), ("Vật liệu xây dựng", 6, 0.2))),
    (9, "Sở Tài nguyên và Môi trường", 5.0, 160, (
        ("Đất đai", 40, 0.9), ("Môi trường", 22, 0.6), ("Tài nguyên nước", 14, 0.8),
        ("Địa chất và khoáng sản", 12, 0.8), ("Đo đạc, bản đồ và viễn thám", 6, 0.5),
        ("Khí tượng, thủy văn", 4, 0.2))),
    (10, "Sở Thông tin và Truyền thông", 0.8, 60, (
        ("Báo chí", 16, 0.3), ("Xuất bản, in và phát hành", 16, 0.5), ("Bưu chính", 5, 0.8),
        ("Viễn thông và Internet", 6, 0.6),
        ("Phát thanh, truyền hình và thông tin điện tử", 4, 0.5))),
    (11, "Sở Lao động - Thương binh và Xã hội", 3.5, 140, (
        ("Việc làm", 14, 0.4), ("Lao động, tiền lương", 10, 0.2),
        ("An toàn, vệ sinh lao động", 8, 0.5),
        ("Giáo dục nghề nghiệp", 24, 0.3), ("Người có công", 26, 0.0), ("Bảo trợ xã hội", 12, 0.0),
        ("Phòng, chống tệ nạn xã hội", 8, 0.0), ("Trẻ em", 6, 0.0))),
    (12, "Sở Văn hóa, Thể thao và Du lịch", 1.5, 180, (
        ("Văn hóa cơ sở", 14, 0.3), ("Di sản văn hóa", 14, 0.5), ("Nghệ thuật biểu diễn", 10, 0.6),
        ("Mỹ thuật, nhiếp ảnh, triển lãm", 12, 0.5), ("Thể dục thể thao", 30, 0.4),
        ("Lữ hành", 14, 0.8), ("Cơ sở lưu trú du lịch", 10, 0.8), ("Gia đình", 8, 0.0))),
    (13, "Sở Khoa học và Công nghệ", 0.6, 55, (
        ("Hoạt động khoa học và công nghệ", 20, 0.2), ("Tiêu chuẩn, đo lường, chất lượng", 18, 0.6),
        ("An toàn bức xạ và hạt nhân", 10, 0.8), ("Sở hữu trí tuệ", 4, 0.5))),
    (14, "Sở Giáo dục và Đào tạo", 2.0, 1450, (
        ("Giáo dục và đào tạo thuộc hệ thống giáo dục quốc dân", 48, 0.0),
        ("Thi, tuyển sinh", 10, 0.2), ("Văn bằng, chứng chỉ", 12, 0.3))),
    (15, "Sở Y tế", 4.0, 1250, (
        ("Khám bệnh, chữa bệnh", 50, 0.8), ("Dược phẩm", 42, 0.8), ("Y tế dự phòng", 14, 0.5),
        ("An toàn thực phẩm và dinh dưỡng", 16, 0.9), ("Trang thiết bị y tế", 12, 0.6),
        ("Mỹ phẩm", 6, 0.8))),
    (16, "Sở Ngoại vụ", 0.3, 30, (
        ("Công tác lãnh sự", 6, 0.3), ("Hợp tác quốc tế", 5, 0.0))),
    (17, "Ban Dân tộc", 0.1, 25, (("Công tác dân tộc", 5, 0.0),)),
    (18, "Thanh tra tỉnh", 0.4, 40, (
        ("Tiếp công dân", 3, 0.0), ("Giải quyết khiếu nại", 4, 0.0), ("Giải quyết tố cáo", 3, 0.0),
        ("Phòng, chống tham nhũng", 3, 0.0))),
    (19, "Ban Quản lý Khu kinh tế cửa khẩu Đồng Đăng - Lạng Sơn", 1.2, 70, (
        ("Đầu tư tại khu kinh tế", 18, 0.1), ("Xây dựng tại khu kinh tế", 12, 0.6),
        ("Thương mại tại khu kinh tế", 8, 0.5))),
    (20, "Ban Quản lý các Khu công nghiệp tỉnh Lạng Sơn", 0.6, 30, (
        ("Lao động tại khu công nghiệp", 10, 0.3), ("Môi trường tại khu công nghiệp", 6, 0.6))),
)

# 2019 merger of two provincial agencies into a successor that starts the next day.
MERGED_DEPARTMENTS = (19, 20)
MERGER_SUCCESSOR = (21, "Ban Quản lý Khu kinh tế và các Khu công nghiệp tỉnh Lạng Sơn")
PROVINCIAL_MERGER_LAST_DAY = date(2019, 6, 30)

# (number, name, dossier weight, mailboxes at end of 2017, communes: (number, name))
DISTRICTS: tuple[tuple[int, str, float, int, tuple[tuple[int, str], ...]], ...] = (
    (31, "UBND thành phố Lạng Sơn", 2.0, 430, (
        (1, "Phường Chi Lăng"), (2, "Phường Hoàng Văn Thụ"), (3, "Phường Tam Thanh"),
        (4, "Xã Mai Pha"))),
    (32, "UBND huyện Tràng Định", 1.0, 300, (
        (1, "Thị trấn Thất Khê"), (2, "Xã Đề Thám"), (3, "Xã Kháng Chiến"))),
    (33, "UBND huyện Văn Lãng", 0.9, 290, (
        (1, "Thị trấn Na Sầm"), (2, "Xã Hoàng Việt"), (20, "Xã Tân Mỹ"))),
    (34, "UBND huyện Văn Quan", 0.8, 280, (
        (1, "Thị trấn Văn Quan"), (2, "Xã Tràng Các"), (3, "Xã Vân Mộng"))),
    (35, "UBND huyện Bình Gia", 0.8, 285, (
        (1, "Thị trấn Bình Gia"), (2, "Xã Hồng Phong"), (3, "Xã Tô Hiệu"))),
    (36, "UBND huyện Bắc Sơn", 0.9, 290, (
        (1, "Thị trấn Bắc Sơn"), (2, "Xã Bắc Sơn"), (3, "Xã Vũ Lễ"), (4, "Xã Hữu Vĩnh"))),
    (37, "UBND huyện Hữu Lũng", 1.4, 340, (
        (1, "Thị trấn Hữu Lũng"), (2, "Xã Minh Sơn"), (3, "Xã Đồng Tân"))),
    (38, "UBND huyện Chi Lăng", 1.0, 300, (
        (1, "Thị trấn Đồng Mỏ"), (2, "Thị trấn Chi Lăng"), (3, "Xã Quang Lang"))),
    (39, "UBND huyện Cao Lộc", 1.2, 320, (
        (1, "Thị trấn Cao Lộc"), (2, "Thị trấn Đồng Đăng"), (3, "Xã Hợp Thành"),
        (4, "Xã Tân Liên"))),
    (40, "UBND huyện Lộc Bình", 1.1, 310, (
        (1, "Thị trấn Lộc Bình"), (2, "Thị trấn Na Dương"), (3, "Xã Khuất Xá"))),
    (41, "UBND huyện Đình Lập", 0.5, 230, (
        (1, "Thị trấn Đình Lập"), (2, "Xã Đình Lập"), (3, "Xã Thái Bình"))),
)

# Commune chain A -> B -> C in Bắc Sơn: Hữu Vĩnh joins Xã Bắc Sơn in 2018, which joins
# Thị trấn Bắc Sơn in 2020, so successor chains of length 2 exist.
COMMUNE_CHAIN = (commune_code(36, 4), commune_code(36, 2), commune_code(36, 1))
COMMUNE_CHAIN_LAST_DAYS = (date(2018, 6, 30), date(2020, 3, 31))

PRE_EXISTING_FROM = date(2008, 4, 1)

# Share of dossier volume by level of government.
LEVEL_SHARE = {"tinh": 0.50, "huyen": 0.36, "xa": 0.14}


@dataclass(frozen=True)
class Agency:
    code: str
    name: str
    level: str  # tinh / huyen / xa
    parent: str
    valid_from: date
    valid_to: date | None
    successor: str | None
    dossier_weight: float  # 0 for agencies that handle no dossiers (the province itself)
    mailboxes_2017: int
    fields: tuple[str, ...] = ()  # field codes a department handles; empty = all of its level

    def exists_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


def build_agencies(rng: np.random.Generator,
                   field_codes: dict[int, tuple[str, ...]]) -> list[Agency]:
    agencies = [Agency(ROOT_CODE, "UBND tỉnh Lạng Sơn", "tinh", "", PRE_EXISTING_FROM, None,
                       None, 0.0, 120)]
    successor = dept_code(MERGER_SUCCESSOR[0])
    successor_start = PROVINCIAL_MERGER_LAST_DAY + timedelta(days=1)
    for number, name, weight, mailboxes, _fields in DEPARTMENTS:
        merged = number in MERGED_DEPARTMENTS
        agencies.append(Agency(
            dept_code(number), name, "tinh", ROOT_CODE, PRE_EXISTING_FROM,
            PROVINCIAL_MERGER_LAST_DAY if merged else None, successor if merged else None,
            weight, mailboxes, field_codes[number]))
    merged_fields = tuple(sorted({f for n in MERGED_DEPARTMENTS for f in field_codes[n]}))
    merged_weight = sum(d[2] for d in DEPARTMENTS if d[0] in MERGED_DEPARTMENTS)
    merged_boxes = sum(d[3] for d in DEPARTMENTS if d[0] in MERGED_DEPARTMENTS)
    agencies.append(Agency(successor, MERGER_SUCCESSOR[1], "tinh", ROOT_CODE, successor_start,
                           None, None, merged_weight, merged_boxes, merged_fields))
    chain_end = dict(zip(COMMUNE_CHAIN[:2], COMMUNE_CHAIN_LAST_DAYS, strict=True))
    chain_next = dict(zip(COMMUNE_CHAIN[:2], COMMUNE_CHAIN[1:], strict=True))
    for number, name, weight, mailboxes, communes in DISTRICTS:
        district = dept_code(number)
        agencies.append(Agency(district, name, "huyen", ROOT_CODE, PRE_EXISTING_FROM, None,
                               None, weight, mailboxes))
        for commune_number, commune_name in communes:
            code = commune_code(number, commune_number)
            agencies.append(Agency(
                # "UBND xã ...", "UBND thị trấn ...": the unit type is lower case here.
                code, f"UBND {commune_name[0].lower()}{commune_name[1:]}", "xa", district,
                PRE_EXISTING_FROM,
                chain_end.get(code), chain_next.get(code),
                float(rng.uniform(0.6, 1.4)), int(rng.integers(14, 34))))
    return agencies


# --------------------------------------------------------------------------------------
# The procedure catalogue
# --------------------------------------------------------------------------------------

# Fields handled by district and commune people's committees: (name, procedures, fee share).
DISTRICT_FIELDS = (
    ("Hộ tịch", 22, 0.5), ("Chứng thực", 14, 0.9), ("Đất đai", 30, 0.8), ("Xây dựng", 18, 0.6),
    ("Thành lập và hoạt động của hộ kinh doanh", 10, 0.7), ("Người có công", 20, 0.0),
    ("Bảo trợ xã hội", 18, 0.0), ("Giáo dục và đào tạo", 34, 0.0), ("Văn hóa", 14, 0.3),
    ("Y tế", 6, 0.5), ("Tài nguyên và môi trường", 16, 0.5), ("Nông nghiệp", 22, 0.3),
    ("Nội vụ", 20, 0.0), ("Tiếp công dân và khiếu nại, tố cáo", 8, 0.0),
    ("Lưu thông hàng hóa trong nước", 12, 0.8), ("Giao thông vận tải", 10, 0.3),
    ("Tư pháp", 8, 0.1), ("Dân tộc", 4, 0.0),
)
COMMUNE_FIELDS = (
    ("Hộ tịch", 30, 0.4), ("Chứng thực", 10, 0.9), ("Bảo trợ xã hội", 14, 0.0),
    ("Người có công", 20, 0.0), ("Đất đai", 8, 0.2), ("Văn hóa", 8, 0.0),
    ("Nông nghiệp", 12, 0.0), ("Tôn giáo", 10, 0.0), ("Thi đua, khen thưởng", 8, 0.0),
    ("Hòa giải cơ sở", 6, 0.0), ("Nuôi con nuôi", 6, 0.3), ("Giáo dục và đào tạo", 8, 0.0),
    ("Phòng, chống thiên tai", 4, 0.0), ("Lâm nghiệp", 6, 0.0),
)

ACTIONS = (
    "Cấp", "Cấp lại", "Cấp đổi", "Điều chỉnh", "Gia hạn", "Thu hồi", "Đăng ký", "Xác nhận",
    "Công nhận", "Thẩm định hồ sơ đề nghị cấp", "Chấp thuận", "Đăng ký thay đổi nội dung",
)
OBJECTS = (
    "giấy phép {f}", "giấy chứng nhận đủ điều kiện hoạt động {f}", "hồ sơ {f}",
    "chứng chỉ hành nghề {f}", "quyết định {f}", "thông báo {f}", "giấy xác nhận {f}",
    "văn bản chấp thuận {f}",
)
# A few real, heavily used procedures, by (level, field), so that the top of each
# popularity ranking reads true.
FAMOUS_PROCEDURES = {
    ("tinh", "Lý lịch tư pháp"): "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam, người nước "
                                 "ngoài đang cư trú tại Việt Nam",
    ("tinh", "Thành lập và hoạt động của doanh nghiệp"): "Đăng ký thành lập công ty trách nhiệm "
                                                         "hữu hạn hai thành viên trở lên",
    ("tinh", "Đường bộ"): "Đổi giấy phép lái xe do ngành Giao thông vận tải cấp",
    ("tinh", "Đất đai"): "Đăng ký biến động quyền sử dụng đất, quyền sở hữu tài sản gắn liền "
                         "với đất",
    ("tinh", "Khám bệnh, chữa bệnh"): "Cấp chứng chỉ hành nghề khám bệnh, chữa bệnh đối với "
                                      "người Việt Nam",
    ("huyen", "Hộ tịch"): "Đăng ký khai sinh có yếu tố nước ngoài",
    ("huyen", "Chứng thực"): "Chứng thực bản sao từ bản chính giấy tờ, văn bản do cơ quan có "
                             "thẩm quyền của nước ngoài cấp",
    ("huyen", "Thành lập và hoạt động của hộ kinh doanh"): "Đăng ký thành lập hộ kinh doanh",
    ("huyen", "Đất đai"): "Cấp Giấy chứng nhận quyền sử dụng đất lần đầu",
    ("xa", "Hộ tịch"): "Đăng ký khai sinh",
    ("xa", "Chứng thực"): "Chứng thực bản sao từ bản chính giấy tờ, văn bản do cơ quan có thẩm "
                          "quyền của Việt Nam cấp",
    ("xa", "Người có công"): "Xác nhận thân nhân của người có công",
}

# Decisions that raise procedures to level 3/4 take effect in batches. Each row: effective
# date, share of procedures at level >= 3 from then on, share at level 4 from then on. The
# 2017-12-31 and 2018-01-01 batches put period boundaries on both sides of the calibration
# day (one period starts on 31 Dec, many end on it).
RAISE_BATCHES: tuple[tuple[str, float, float], ...] = (
    ("2015-10-01", 0.015, 0.000),
    ("2016-03-15", 0.030, 0.000),
    ("2016-07-01", 0.045, 0.003),
    ("2016-10-20", 0.060, 0.005),
    ("2017-03-01", 0.075, 0.007),
    ("2017-06-15", 0.088, 0.010),
    ("2017-09-20", 0.100, 0.013),
    ("2017-12-31", 0.108, 0.016),
    ("2018-01-01", 0.140, 0.020),
    ("2018-05-10", 0.180, 0.035),
    ("2018-09-01", 0.220, 0.050),
    ("2019-01-01", 0.280, 0.075),
    ("2019-04-15", 0.330, 0.095),
    ("2019-08-01", 0.380, 0.120),
    ("2019-11-15", 0.440, 0.150),
    ("2020-01-01", 0.500, 0.190),
    ("2020-03-20", 0.560, 0.220),
    ("2020-07-01", 0.630, 0.260),
    ("2020-10-15", 0.700, 0.300),
)
# Dates on which the catalogue was first published (pre-existing procedures start here).
PUBLICATION_DATES = (date(2014, 7, 1), date(2015, 1, 15), date(2015, 6, 1))
NEVER = date(9999, 12, 31)


@dataclass
class Procedure:
    index: int
    code: str
    name: str
    field_code: str
    field_name: str
    level: str  # CapThucHien
    owner: int | None  # department number for provincial procedures
    fee: bool
    time_limit: int  # legal processing time in working days
    popularity: float
    readiness: float  # low = raised early
    start: date
    end: date | None
    level3_from: date | None
    level4_from: date | None

    def in_force(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)

    def level_on(self, day: date) -> int:
        if self.level4_from is not None and day >= self.level4_from:
            return 4
        if self.level3_from is not None and day >= self.level3_from:
            return 3
        return 2

    def periods(self) -> list[tuple[int, date, date | None]]:
        """Catalogue rows: (MucDo, HieuLucTu, HieuLucDen), the old period ending the day
        before the new one starts."""
        starts = [self.start] + [
            d for d in (self.level3_from, self.level4_from)
            if d is not None and self.start < d and (self.end is None or d <= self.end)
        ]
        rows = []
        for i, begin in enumerate(starts):
            finish = starts[i + 1] - timedelta(days=1) if i + 1 < len(starts) else self.end
            rows.append((self.level_on(begin), begin, finish))
        return rows


@dataclass
class Catalog:
    agencies: list[Agency]
    procedures: list[Procedure]
    fields: dict[str, tuple[str, str]]  # code -> (name, level)

    def agency(self, code: str) -> Agency:
        return next(a for a in self.agencies if a.code == code)

    def procedures_for(self, agency: Agency) -> list[Procedure]:
        if agency.level == "tinh":
            wanted = set(agency.fields)
            return [p for p in self.procedures if p.field_code in wanted]
        return [p for p in self.procedures if p.level == agency.level]


def _batch_dates() -> tuple[list[date], np.ndarray, np.ndarray]:
    dates = [date.fromisoformat(d) for d, _, _ in RAISE_BATCHES]
    return dates, np.array([b[1] for b in RAISE_BATCHES]), np.array([b[2] for b in RAISE_BATCHES])


def _first_batch(dates: list[date], shares: np.ndarray, quantile: float) -> date | None:
    hit = np.nonzero(shares >= quantile)[0]
    return dates[int(hit[0])] if len(hit) else None


def build_catalog() -> Catalog:
    rng = np.random.default_rng(CATALOG_SEED)
    fields: dict[str, tuple[str, str]] = {}
    specs: list[tuple[str, str, str, int | None, int, float]] = []  # code, name, level, owner..
    dept_fields: dict[int, list[str]] = defaultdict(list)
    counter = 0
    for number, _name, _w, _m, dept_specs in DEPARTMENTS:
        for name, count, fee_share in dept_specs:
            counter += 1
            code = f"LV{counter:03d}"
            fields[code] = (name, "tinh")
            dept_fields[number].append(code)
            specs.append((code, name, "tinh", number, count, fee_share))
    for level, level_specs in (("huyen", DISTRICT_FIELDS), ("xa", COMMUNE_FIELDS)):
        for name, count, fee_share in level_specs:
            counter += 1
            code = f"LV{counter:03d}"
            fields[code] = (name, level)
            specs.append((code, name, level, None, count, fee_share))

    used_numbers: set[int] = set()
    procedures: list[Procedure] = []
    batch_dates, share3, share4 = _batch_dates()
    later_batches = [d for d in batch_dates if d.year >= 2016]
    for field_code, field_name, level, owner, count, fee_share in specs:
        names = _procedure_names(rng, level, field_name, count)
        for name in names:
            # ~9% of procedures are new codes introduced during the period (national codes
            # starting with 2.), the rest come from the first publications (codes 1.).
            is_new = rng.random() < 0.09
            while True:
                number = int(rng.integers(100, 12000))
                if number not in used_numbers:
                    used_numbers.add(number)
                    break
            code = f"{'2' if is_new else '1'}.{number:06d}"
            if is_new:
                start = later_batches[int(rng.integers(0, len(later_batches)))]
            else:
                start = PUBLICATION_DATES[int(rng.integers(0, len(PUBLICATION_DATES)))]
            end = None
            if not is_new and rng.random() < 0.04:
                end = later_batches[int(rng.integers(0, len(later_batches)))] - timedelta(days=1)
            procedures.append(Procedure(
                index=len(procedures), code=code, name=name, field_code=field_code,
                field_name=field_name, level=level, owner=owner,
                fee=bool(rng.random() < fee_share),
                time_limit=int(rng.choice([1, 3, 5, 7, 10, 15, 20, 30],
                                          p=[0.05, 0.15, 0.2, 0.15, 0.2, 0.12, 0.08, 0.05])),
                popularity=0.0, readiness=0.0, start=start, end=end,
                level3_from=None, level4_from=None))

    # Popularity: Zipf inside each handling group, so a few procedures carry most dossiers
    # (as in real portals). Readiness follows popularity loosely: busy procedures went
    # online first, which is what lets the online share reach ~40% by 2020.
    groups: dict[object, list[Procedure]] = defaultdict(list)
    for p in procedures:
        groups[p.owner if p.level == "tinh" else p.level].append(p)
    for _key, members in sorted(groups.items(), key=lambda kv: str(kv[0])):
        order = rng.permutation(len(members))
        # The famous procedures lead their group.
        famous = [i for i, p in enumerate(members) if p.name in FAMOUS_PROCEDURES.values()]
        ranks = np.empty(len(members), dtype=int)
        ranking = famous + [int(i) for i in order if int(i) not in famous]
        for rank, i in enumerate(ranking):
            ranks[i] = rank
        for i, p in enumerate(members):
            p.popularity = 1.0 / (ranks[i] + 1) ** 1.1
            quantile = (ranks[i] + 0.5) / len(members)
            p.readiness = float(np.clip(0.55 * quantile + 0.45 * rng.random(), 0.0, 1.0))
    # Map readiness to batch dates through the global cumulative shares.
    order = sorted(procedures, key=lambda p: (p.readiness, p.index))
    for rank, p in enumerate(order):
        q = (rank + 0.5) / len(order)
        p.level3_from = _first_batch(batch_dates, share3, q)
        q4 = min(1.0, q + float(rng.uniform(0.0, 0.01)))
        p.level4_from = _first_batch(batch_dates, share4, q4)
        if p.level4_from is not None and (p.level3_from is None or p.level4_from <= p.level3_from):
            later = [d for d in batch_dates if p.level3_from is not None and d > p.level3_from]
            p.level4_from = later[0] if later else None
    _calibrate_level3(procedures, batch_dates)
    agencies = build_agencies(rng, {n: tuple(c) for n, c in dept_fields.items()})
    return Catalog(agencies, procedures, fields)


def _procedure_names(rng: np.random.Generator, level: str, field_name: str,
                     count: int) -> list[str]:
    # Templated names ("Cấp lại giấy phép ..."), unique within a field.
    lower = field_name[0].lower() + field_name[1:]
    candidates = [f"{a} {o.format(f=lower)}" for a in ACTIONS for o in OBJECTS]
    picked = [candidates[int(i)] for i in rng.permutation(len(candidates))[:count]]
    if (level, field_name) in FAMOUS_PROCEDURES:
        picked[0] = FAMOUS_PROCEDURES[(level, field_name)]
    return picked


def _level3_on(procedures: Iterable[Procedure], day: date) -> list[Procedure]:
    return [p for p in procedures if p.in_force(day) and p.level_on(day) == 3]


def _calibrate_level3(procedures: list[Procedure], batch_dates: list[date]) -> None:
    """Make exactly LEVEL3_ON_CALIBRATION_DAY procedures be at level 3 on 31 Dec 2017 by
    moving the least ready ones across the boundary. Only procedures in force all around
    the day are moved, so no other boundary case changes."""
    day = CALIBRATION_DAY
    after = [d for d in batch_dates if d > day]
    before = [d for d in batch_dates if d.year == day.year and d < day]
    level3 = _level3_on(procedures, day)
    movable = [p for p in level3 if p.start < before[0] and p.end is None]
    excess = len(level3) - LEVEL3_ON_CALIBRATION_DAY
    # The latest-raised first, so the early adopters stay early.
    for p in sorted(movable, key=lambda p: (p.readiness, p.index), reverse=True)[:max(excess, 0)]:
        p.level3_from = after[0]
        if p.level4_from is not None and p.level4_from <= after[0]:
            p.level4_from = after[1]
    missing = LEVEL3_ON_CALIBRATION_DAY - len(_level3_on(procedures, day))
    if missing > 0:
        waiting = [p for p in procedures
                   if p.in_force(day) and p.end is None and p.start < before[0]
                   and p.level_on(day) == 2]
        for p in sorted(waiting, key=lambda p: (p.readiness, p.index))[:missing]:
            p.level3_from = before[-1]
    found = len(_level3_on(procedures, day))
    if found != LEVEL3_ON_CALIBRATION_DAY:
        raise AssertionError(f"catalogue calibration failed: {found} level-3 procedures")


# --------------------------------------------------------------------------------------
# Calendar: working days and holidays (appointments are set in working days)
# --------------------------------------------------------------------------------------

TET_HOLIDAYS = {
    2015: ("2015-02-15", "2015-02-23"), 2016: ("2016-02-06", "2016-02-14"),
    2017: ("2017-01-26", "2017-02-01"), 2018: ("2018-02-14", "2018-02-20"),
    2019: ("2019-02-02", "2019-02-10"), 2020: ("2020-01-23", "2020-01-29"),
    2021: ("2021-02-10", "2021-02-16"), 2022: ("2022-01-29", "2022-02-06"),
}
HUNG_KINGS_DAY = {
    2015: "2015-04-28", 2016: "2016-04-18", 2017: "2017-04-06", 2018: "2018-04-25",
    2019: "2019-04-15", 2020: "2020-04-02", 2021: "2021-04-21", 2022: "2022-04-11",
}


class Calendar:
    def __init__(self, first: date, last: date) -> None:
        holidays: set[date] = set()
        for year in range(first.year, last.year + 1):
            holidays.update(date(year, m, d) for m, d in ((1, 1), (4, 30), (5, 1), (9, 2)))
            if year in TET_HOLIDAYS:
                begin, end = (date.fromisoformat(x) for x in TET_HOLIDAYS[year])
                holidays.update(begin + timedelta(days=i) for i in range((end - begin).days + 1))
            if year in HUNG_KINGS_DAY:
                holidays.add(date.fromisoformat(HUNG_KINGS_DAY[year]))
        self.first = first
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        self.working = [d for d in days if d.weekday() < 5 and d not in holidays]
        # For every calendar day, the index of the first working day on or after it.
        self._next: list[int] = []
        j = 0
        for d in days:
            while j < len(self.working) and self.working[j] < d:
                j += 1
            self._next.append(j)

    def add_working_days(self, day: date, n: int) -> date:
        offset = min((day - self.first).days, len(self._next) - 1)
        return self.working[min(self._next[offset] + n, len(self.working) - 1)]


def office_time(rng: np.random.Generator) -> time:
    # Desks open 07:30-11:30 and 13:30-17:00.
    minute = int(rng.integers(0, 240 + 210))
    minute = 450 + minute if minute < 240 else 810 + (minute - 240)
    return time(minute // 60, minute % 60, int(rng.integers(0, 60)))


def at_office(day: date, rng: np.random.Generator) -> datetime:
    return datetime.combine(day, office_time(rng))


# --------------------------------------------------------------------------------------
# Portal: dossiers and their event logs
# --------------------------------------------------------------------------------------

# Dossiers received per year at scale 1.0; growth over the years, COVID dip in April 2020.
DOSSIERS_PER_YEAR = {0: 2600, 1: 3100, 2: 3400, 3: 3750, 4: 4000}
ONLINE_SHARE = {0: 0.06, 1: 0.11, 2: 0.20, 3: 0.31, 4: 0.44}  # of dossiers, where possible
POSTAL_SUBMISSION_SHARE = {0: 0.008, 1: 0.012, 2: 0.018, 3: 0.024, 4: 0.03}
POSTAL_RETURN_SHARE = {0: 0.02, 1: 0.04, 2: 0.07, 3: 0.10, 4: 0.14}
ON_TIME_SHARE = {0: 0.87, 1: 0.90, 2: 0.93, 3: 0.95, 4: 0.965}
ONLINE_PAYMENT_SHARE = {0: 0.0, 1: 0.03, 2: 0.10, 3: 0.22, 4: 0.40}  # of fee-bearing online
MONTH_FACTOR = {1: 1.1, 2: 0.75, 3: 1.0, 4: 1.0, 5: 1.0, 6: 1.0, 7: 0.95, 8: 0.95, 9: 1.0,
                10: 1.05, 11: 1.05, 12: 1.15}


def _year_param(table: dict[int, float], year: int, first_year: int) -> float:
    return table[min(max(year - first_year, 0), 4)]


@dataclass(slots=True)
class Event:
    dossier: str
    procedure: str
    agency: str
    channel: int
    level: int | None
    status: int
    at: datetime
    due: datetime | None
    return_mode: int | None
    paid_online: int | None
    applicant: int | None

    def key(self) -> tuple[str, int, datetime]:
        return (self.dossier, self.status, self.at)

    def values(self) -> dict[str, Any]:
        return {
            "MaHoSo": self.dossier, "MaTTHC": self.procedure, "MaDonVi": self.agency,
            "KenhThucHien": self.channel, "MucDo": self.level, "TrangThaiHoSo": self.status,
            "ThoiDiem": self.at.strftime("%Y%m%d%H%M%S"),
            "NgayHenTra": self.due.strftime("%Y%m%d%H%M%S") if self.due else None,
            "HinhThucTra": self.return_mode, "DuocThanhToanTrucTuyen": self.paid_online,
            "LoaiDoiTuong": self.applicant,
        }


@dataclass
class Dossier:
    agency: Agency
    procedure: Procedure
    channel: int
    level: int
    received_day: date
    applicant: int
    return_mode: int  # chosen at reception
    events: list[Event] = field(default_factory=list)
    code: str = ""


def _agency_weights(agencies: Sequence[Agency], day: date) -> tuple[list[Agency], np.ndarray]:
    alive = [a for a in agencies if a.dossier_weight > 0 and a.exists_on(day)]
    totals: dict[str, float] = defaultdict(float)
    for a in alive:
        totals[a.level] += a.dossier_weight
    weights = np.array([LEVEL_SHARE[a.level] * a.dossier_weight / totals[a.level] for a in alive])
    return alive, weights / weights.sum()


class PortalSimulator:
    """Plays out dossier lifecycles one working day at a time (small volumes only)."""

    def __init__(self, catalog: Catalog, calendar: Calendar, rng: np.random.Generator,
                 years: tuple[int, int]) -> None:
        self.catalog = catalog
        self.calendar = calendar
        self.rng = rng
        self.years = years
        self.window_start = datetime(years[0], 1, 1)
        self.cutoff = datetime(years[1], 12, 31, 23, 59, 59)
        # Per agency: its procedures and, as arrays, first day, last day, first day at
        # level 3 and popularity, so that picking a procedure in force is vectorised.
        self._procs: dict[str, tuple[list[Procedure], np.ndarray, np.ndarray, np.ndarray,
                                     np.ndarray]] = {}
        for agency in catalog.agencies:
            procs = catalog.procedures_for(agency)
            self._procs[agency.code] = (
                procs,
                np.array([p.start.toordinal() for p in procs]),
                np.array([(p.end or NEVER).toordinal() for p in procs]),
                np.array([(p.level3_from or NEVER).toordinal() for p in procs]),
                np.array([p.popularity for p in procs]),
            )

    def run(self, scale: float) -> list[Dossier]:
        dossiers: list[Dossier] = []
        first_year, last_year = self.years
        for year in range(first_year, last_year + 1):
            days = [d for d in self.calendar.working if d.year == year]
            factors = np.array([self._day_factor(d) for d in days])
            volume = _year_param(DOSSIERS_PER_YEAR, year, first_year) * scale
            expected = volume * factors / factors.sum()
            counts = self.rng.poisson(expected)
            for day, count in zip(days, counts, strict=True):
                if count == 0:
                    continue
                alive, weights = _agency_weights(self.catalog.agencies, day)
                picks = self.rng.choice(len(alive), size=int(count), p=weights)
                for pick in picks:
                    dossier = self._new_dossier(alive[int(pick)], day, year)
                    if dossier is not None:
                        self._play(dossier, year)
                        dossiers.append(dossier)
        self._assign_codes(dossiers)
        return dossiers

    @staticmethod
    def _day_factor(day: date) -> float:
        factor = MONTH_FACTOR[day.month]
        if day.year == 2020 and day.month == 4 and day.day <= 22:
            factor *= 0.5  # social distancing order of April 2020
        return factor

    def _new_dossier(self, agency: Agency, day: date, year: int) -> Dossier | None:
        rng = self.rng
        procs, start, end, lvl3, popularity = self._procs[agency.code]
        ordinal = day.toordinal()
        in_force = (start <= ordinal) & (ordinal <= end)
        online_ok = in_force & (lvl3 <= ordinal)
        first_year = self.years[0]
        channel = 1
        roll = rng.random()
        if roll < _year_param(ONLINE_SHARE, year, first_year) and online_ok.any():
            channel, mask = 2, online_ok
        else:
            if roll > 1 - _year_param(POSTAL_SUBMISSION_SHARE, year, first_year):
                channel = 3
            mask = in_force
        if not mask.any():
            return None
        weights = np.where(mask, popularity, 0.0)
        procedure = procs[int(rng.choice(len(procs), p=weights / weights.sum()))]
        level = procedure.level_on(day)
        applicant = int(rng.choice([1, 2, 3, 4], p=[0.72, 0.22, 0.02, 0.04]))
        return_mode = 0
        if rng.random() < _year_param(POSTAL_RETURN_SHARE, year, first_year):
            return_mode = 1
        elif level == 4 and channel == 2 and rng.random() < 0.3:
            return_mode = 2
        return Dossier(agency, procedure, channel, level, day, applicant, return_mode)

    def _play(self, d: Dossier, year: int) -> None:
        rng, cal = self.rng, self.calendar
        first_year = self.years[0]
        received = at_office(d.received_day, rng)
        steps: list[tuple[int, datetime]] = []
        if d.channel == 2:
            # Online applications are registered at any hour, days before reception.
            registered = received - timedelta(minutes=int(rng.integers(30, 3 * 24 * 60)))
            steps.append((1, max(registered, self.window_start + timedelta(hours=1))))
        elif rng.random() < 0.12:
            steps.append((1, received - timedelta(minutes=int(rng.integers(2, 25)))))
        not_accepted = 0.04 if d.channel == 2 else 0.004
        if rng.random() < not_accepted:
            steps.append((3, received))
            self._emit(d, steps, due=None, paid_from=None, paid_value=None)
            return
        due = datetime.combine(cal.add_working_days(d.received_day, d.procedure.time_limit),
                               time(17, 0))
        steps.append((2, received))
        processing = received + timedelta(minutes=int(rng.integers(10, 300)))
        if processing.time() > time(17, 0):  # handed to the specialist next morning
            processing = at_office(cal.add_working_days(d.received_day, 1), rng)
        steps.append((4, processing))
        outcome = rng.random()
        supplements = int(rng.choice([0, 1, 2, 3], p=[0.88, 0.09, 0.025, 0.005]))
        last = processing
        for _ in range(supplements):
            asked = at_office(cal.add_working_days(last.date(), int(rng.integers(1, 4))), rng)
            asked = max(asked, last + timedelta(minutes=30))
            steps.append((5, asked))
            if rng.random() < 0.03:  # the applicant never comes back
                self._emit(d, self._maybe_cleared(steps, asked), due=due, paid_from=None,
                           paid_value=None)
                return
            resumed = at_office(cal.add_working_days(asked.date(), int(rng.integers(1, 9))), rng)
            last = max(resumed, asked + timedelta(hours=1))
            steps.append((4, last))
        if outcome < 0.015:
            withdrawn = at_office(cal.add_working_days(last.date(), int(rng.integers(1, 10))), rng)
            steps.append((7, max(withdrawn, last + timedelta(minutes=30))))
            self._emit(d, steps, due=due, paid_from=None, paid_value=None)
            return
        if outcome < 0.025:
            stopped = at_office(cal.add_working_days(last.date(), int(rng.integers(2, 20))), rng)
            steps.append((8, max(stopped, last + timedelta(minutes=30))))
            self._emit(d, steps, due=due, paid_from=None, paid_value=None)
            return
        if outcome < 0.028:  # stuck in processing: overdue and open at year ends after
            self._emit(d, self._maybe_cleared(steps, last), due=due, paid_from=None,
                       paid_value=None)
            return
        limit = d.procedure.time_limit
        if rng.random() < _year_param(ON_TIME_SHARE, year, first_year):
            finish_day = cal.add_working_days(d.received_day, int(limit * rng.uniform(0.2, 1.0)))
        else:
            finish_day = cal.add_working_days(due.date(), 1 + int(rng.geometric(0.25)))
        finished = max(at_office(finish_day, rng), last + timedelta(hours=1))
        paid_from = paid_value = None
        if d.procedure.fee and rng.random() < 0.6:
            fee_day = (last + (finished - last) * float(rng.uniform(0.2, 0.8))).date()
            fee_at = min(max(at_office(cal.add_working_days(fee_day, 0), rng),
                             last + timedelta(minutes=10)), finished - timedelta(minutes=10))
            steps.append((6, fee_at))
            if d.channel == 2 and rng.random() < _year_param(ONLINE_PAYMENT_SHARE, year,
                                                              first_year):
                # The national portal's payment platform only came in 2020.
                paid_value = 1 if year >= 2020 and rng.random() < 0.5 else 2
            paid_from = fee_at
        steps.append((9, finished))
        if rng.random() < (0.97 if d.return_mode == 1 else 0.92):
            handed = at_office(cal.add_working_days(finished.date(), int(rng.integers(0, 5))), rng)
            steps.append((10, max(handed, finished + timedelta(minutes=20))))
        self._emit(d, steps, due=due, paid_from=paid_from, paid_value=paid_value)

    def _maybe_cleared(self, steps: list[tuple[int, datetime]],
                       last: datetime) -> list[tuple[int, datetime]]:
        """Half of the stuck dossiers are stopped (8) months later, when a review of the
        backlog catches them; the others stay open for good."""
        if self.rng.random() < 0.5:
            day = self.calendar.add_working_days(last.date(), int(self.rng.integers(60, 300)))
            steps = [*steps, (8, at_office(day, self.rng))]
        return steps

    def _emit(self, d: Dossier, steps: list[tuple[int, datetime]], *, due: datetime | None,
              paid_from: datetime | None, paid_value: int | None) -> None:
        rng = self.rng
        final_mode = d.return_mode
        change = rng.random()
        if change < 0.01 and d.return_mode == 0:
            final_mode = 1  # decided at the end to have the result posted
        elif change < 0.05 and d.return_mode == 1:
            final_mode = 0  # chose postal return, then came to the desk after all
        for status, at in steps:
            if at > self.cutoff:
                continue  # not yet happened when the last export was taken
            received = status not in (1, 3)
            mode: int | None = d.return_mode
            if status in (9, 10):
                mode = final_mode
            elif rng.random() < 0.04:
                mode = None
            paid: int | None = None
            if d.procedure.fee and status in (6, 9, 10):
                if paid_from is not None and at >= paid_from:
                    paid = paid_value if paid_value is not None else 0
                elif rng.random() < 0.5:
                    paid = 0
            d.events.append(Event(
                dossier="", procedure=d.procedure.code, agency=d.agency.code, channel=d.channel,
                level=d.level if rng.random() > 0.04 else None, status=status, at=at,
                due=due if received else None, return_mode=mode, paid_online=paid,
                applicant=d.applicant if rng.random() > 0.05 else None))

    def _assign_codes(self, dossiers: list[Dossier]) -> None:
        """`<agency>-<yymmdd>-<seq>`, numbered per agency and day of first contact."""
        dossiers[:] = [d for d in dossiers if d.events]
        order = sorted(dossiers, key=lambda d: (d.agency.code, d.events[0].at))
        counters: dict[tuple[str, date], int] = defaultdict(int)
        for d in order:
            first = d.events[0].at
            counters[(d.agency.code, first.date())] += 1
            seq = counters[(d.agency.code, first.date())]
            d.code = f"{d.agency.code}-{first:%y%m%d}-{seq:05d}"
            for e in d.events:
                e.dossier = d.code


# --------------------------------------------------------------------------------------
# Writers (deterministic bytes)
# --------------------------------------------------------------------------------------


def _write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9, mtime=0)


def _csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]], newline: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buffer.getvalue()


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]], *,
               bom: bool, newline: str = "\r\n", compress: bool = False) -> None:
    data = (("\ufeff" if bom else "") + _csv_text(header, rows, newline)).encode("utf-8")
    _write_bytes(path, _gzip(data) if compress else data)


def _write_xlsx(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]], *,
                stamp: datetime, date_format: str | None = None) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Sheet1"
    sheet.append(list(header))
    for row in rows:
        # Empty values are empty cells, as in the operator's Excel exports.
        sheet.append([None if v is None or v == "" else v for v in row])
        if date_format:
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, datetime):
                    cell.number_format = date_format
    workbook.properties.creator = "parkpi"
    workbook.properties.created = stamp
    workbook.properties.modified = stamp
    raw = io.BytesIO()
    # ExcelWriter directly: openpyxl's save_workbook() would stamp "modified" with now().
    ExcelWriter(workbook, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED)).save()
    # zipfile stamps every entry with the current time; re-pack with a fixed one.
    packed = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw.getvalue())) as source, \
            zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, source.read(info.filename))
    _write_bytes(path, packed.getvalue())


def _thousands(n: int) -> str:
    return f"{n:,}".replace(",", ".")


@dataclass
class BadRow:
    source: str
    file: str
    line: int  # text line (header = 1, JSONL first record = 1) or sheet row (header = 1)
    reason: str


@dataclass
class Output:
    root: Path
    files: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    rows: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    bad: list[BadRow] = field(default_factory=list)

    def record(self, source: str, relative: str, rows: int) -> None:
        self.files[source].append(relative)
        self.rows[source] += rows


# --------------------------------------------------------------------------------------
# Portal files
# --------------------------------------------------------------------------------------

# Layout and representation per year of the window (cycled for longer windows), telling
# the story of a portal whose export tooling changed over the years.
PORTAL_STYLE = {
    0: "csv_gz_then_jsonl",  # H1 as .csv.gz at depth 2, H2 as monthly .jsonl.gz
    1: "split_halves_strings",  # two files a month, integers as digit strings
    2: "monthly_mixed_plus_quarter",  # mixed int styles, plus an overlapping Q3 export
    3: "monthly_overlap_day",  # exports also hold the next month's first day; Feb plain
    4: "monthly_with_csv",  # June split into a sub-folder, April as plain CSV
}


@dataclass
class PortalFile:
    path: str
    kind: str  # jsonl, jsonl.gz, csv, csv.gz
    int_style: str = "number"  # number, string, mixed
    events: list[Event] = field(default_factory=list)
    bad_lines: list[tuple[Any, str]] = field(default_factory=list)  # (record or raw line, reason)


def _plan_portal_files(events: list[Event], years: tuple[int, int],
                       rng: np.random.Generator) -> list[PortalFile]:
    first_year, last_year = years
    months = [(y, m) for y in range(first_year, last_year + 1) for m in range(1, 13)]
    by_export: dict[tuple[int, int], list[Event]] = defaultdict(list)
    for e in events:
        y, m = e.at.year, e.at.month
        # Sync lag: a few events only reach the next month's export.
        if rng.random() < 0.02 and (y, m) != months[-1]:
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        by_export[(y, m)].append(e)
    files: dict[str, PortalFile] = {}

    def put(path: str, kind: str, style: str, event: Event) -> None:
        files.setdefault(path, PortalFile(path, kind, style)).events.append(event)

    for y, m in months:
        style = PORTAL_STYLE[(y - first_year) % 5]
        month_dir = f"portal/{y}/{m:02d}"
        for e in by_export.get((y, m), []):
            if style == "csv_gz_then_jsonl":
                if m <= 6:
                    put(f"portal/{y}/dongbo_{y}_{m:02d}.csv.gz", "csv.gz", "number", e)
                else:
                    put(f"{month_dir}/export_01.jsonl.gz", "jsonl.gz", "number", e)
            elif style == "split_halves_strings":
                half = "01" if (e.at.month != m or e.at.day <= 15) else "02"
                put(f"{month_dir}/export_{half}.jsonl.gz", "jsonl.gz", "string", e)
            elif style == "monthly_mixed_plus_quarter":
                put(f"{month_dir}/export_01.jsonl.gz", "jsonl.gz", "mixed", e)
                if 7 <= m <= 9:
                    put(f"portal/{y}/Q3/export_quy3_{y}.jsonl.gz", "jsonl.gz", "number", e)
            elif style == "monthly_overlap_day":
                # The Tết export of February was made by hand in two parts, the first plain.
                if m == 2:
                    first_half = e.at.month != m or e.at.day <= 15
                    kind = "jsonl" if first_half else "jsonl.gz"
                    put(f"{month_dir}/export_0{1 if first_half else 2}.{kind}", kind,
                        "number", e)
                else:
                    put(f"{month_dir}/export_01.jsonl.gz", "jsonl.gz", "number", e)
            else:
                if m == 4:  # exported by hand as CSV during the April lockdown
                    put(f"{month_dir}/export_01.csv", "csv", "number", e)
                elif m == 6 and e.at.month == 6 and e.at.day > 15:
                    put(f"{month_dir}/dot2/export_02.jsonl.gz", "jsonl.gz", "number", e)
                else:
                    put(f"{month_dir}/export_01.jsonl.gz", "jsonl.gz", "number", e)
    # Overlapping windows: exports of the "overlap day" year also carry the events of the
    # first day of the following month, which that month's export carries too.
    for e in events:
        y, m = e.at.year, e.at.month
        if e.at.day != 1:
            continue
        py, pm = (y - 1, 12) if m == 1 else (y, m - 1)
        if py < first_year or PORTAL_STYLE[(py - first_year) % 5] != "monthly_overlap_day":
            continue
        put(f"portal/{py}/{pm:02d}/export_0{2 if pm == 2 else 1}.jsonl.gz", "jsonl.gz",
            "number", e)
    planned = [files[p] for p in sorted(files)]
    for f in planned:
        # Out of order inside files, and a few events sent twice by the sync job.
        shuffled = [f.events[int(i)] for i in rng.permutation(len(f.events))]
        repeats = max(1, len(shuffled) // 250) if len(shuffled) > 20 else 0
        for _ in range(repeats):
            shuffled.insert(int(rng.integers(0, len(shuffled) + 1)),
                            shuffled[int(rng.integers(0, len(shuffled)))])
        f.events = shuffled
    return planned


def _portal_record(values: dict[str, Any], int_style: str,
                   rng: np.random.Generator) -> dict[str, Any]:
    """One JSON object, with the representation quirks of the sync payload."""
    record: dict[str, Any] = {}
    for name in PORTAL_FIELDS:
        value = values.get(name)
        if value is None:
            if name in PORTAL_REQUIRED:
                continue
            roll = rng.random()
            if roll < 0.6:
                continue  # absent key
            record[name] = "" if roll < 0.8 else None
            continue
        if name in PORTAL_INT_FIELDS and isinstance(value, int):
            as_string = int_style == "string" or (int_style == "mixed" and rng.random() < 0.5)
            record[name] = str(value) if as_string else value
        else:
            record[name] = value
    return record


def _write_portal(out: Output, files: list[PortalFile], rng: np.random.Generator) -> None:
    for f in files:
        rows: list[Any] = [e.values() for e in f.events]
        bad_at: dict[int, list[tuple[Any, str]]] = defaultdict(list)
        for raw, reason in f.bad_lines:
            bad_at[int(rng.integers(0, len(rows) + 1))].append((raw, reason))
        target = out.root / f.path
        if f.kind.startswith("jsonl"):
            lines: list[str] = []
            for i in range(len(rows) + 1):
                for raw, reason in bad_at.get(i, []):
                    lines.append(raw if isinstance(raw, str) else json.dumps(
                        raw, ensure_ascii=False, separators=(",", ":")))
                    out.bad.append(BadRow("portal", f.path, len(lines), reason))
                if i < len(rows):
                    lines.append(json.dumps(_portal_record(rows[i], f.int_style, rng),
                                            ensure_ascii=False, separators=(",", ":")))
            data = ("\n".join(lines) + "\n").encode("utf-8")
            _write_bytes(target, _gzip(data) if f.kind == "jsonl.gz" else data)
            out.record("portal", f.path, len(lines))
        else:
            extra = f.kind == "csv"  # the plain CSV export carries a note column (ignored)
            header = list(PORTAL_FIELDS) + (["GhiChu"] if extra else [])
            table: list[list[Any]] = []
            for i in range(len(rows) + 1):
                for raw, reason in bad_at.get(i, []):
                    table.append([raw.get(k) for k in PORTAL_FIELDS] + ([""] if extra else []))
                    out.bad.append(BadRow("portal", f.path, len(table) + 1, reason))
                if i < len(rows):
                    note = "đồng bộ lại" if extra and rng.random() < 0.01 else ""
                    table.append([rows[i][k] for k in PORTAL_FIELDS] + ([note] if extra else []))
            _write_csv(target, header, table, bom=True, newline="\n",
                       compress=f.kind == "csv.gz")
            out.record("portal", f.path, len(table))


def _portal_bad_rows(files: list[PortalFile], known_codes: set[str],
                     rng: np.random.Generator) -> str:
    """Attach contract-breaking rows to chosen files, each breaking exactly one rule.

    They are extra rows (a corrupted copy of a real event), so the valid events stay the
    same with or without `messy`. Returns the code of the ghost dossier: a dossier that
    exists only in a rejected row (the contract says it does not exist)."""

    def sample(f: PortalFile) -> dict[str, Any]:
        return dict(f.events[int(rng.integers(0, len(f.events)))].values())

    jsonl_gz = [f for f in files if f.kind == "jsonl.gz" and f.events]
    plain_jsonl = [f for f in files if f.kind == "jsonl" and f.events]
    csv_files = [f for f in files if f.kind in ("csv", "csv.gz") and f.events]
    ghost = ""
    breakers = (
        ("MaHoSo", "missing required MaHoSo (key absent)"),
        ("MaTTHC", "missing required MaTTHC (empty string)"),
        ("MaDonVi", "missing required MaDonVi (null)"),
        ("KenhThucHien", "KenhThucHien 7 outside 1-3 (the only row of its dossier)"),
        ("TrangThaiHoSo", "TrangThaiHoSo 11 outside 1-10"),
        ("NgayHenTra", "NgayHenTra in yyyy-mm-dd, not yyyyMMddHHmmss"),
        ("MucDo", "MucDo 1 outside 2-4"),
        ("HinhThucTra", 'HinhThucTra "3" outside 0-2'),
        ("ThoiDiem", "missing required ThoiDiem (key absent)"),
    )
    if jsonl_gz:
        spread = [jsonl_gz[i * (len(jsonl_gz) - 1) // (len(breakers) - 1)]
                  for i in range(len(breakers))]
        for f, (name, reason) in zip(spread, breakers, strict=True):
            record = sample(f)
            if name in ("MaHoSo", "ThoiDiem"):
                del record[name]
            elif name == "MaTTHC":
                record[name] = ""
            elif name == "MaDonVi":
                record[name] = None
            elif name == "KenhThucHien":
                record[name] = 7
                prefix = f"{record['MaDonVi']}-{record['ThoiDiem'][2:8]}"
                seq = 90000 + int(rng.integers(0, 9000))
                while f"{prefix}-{seq:05d}" in known_codes:
                    seq += 1
                ghost = record["MaHoSo"] = f"{prefix}-{seq:05d}"
            elif name == "TrangThaiHoSo":
                record[name] = 11
            elif name == "NgayHenTra":
                record[name] = f"{record['ThoiDiem'][:4]}-{record['ThoiDiem'][4:6]}-28"
            elif name == "MucDo":
                record[name] = 1
            elif name == "HinhThucTra":
                record[name] = "3"
            f.bad_lines.append((_clean_nones(record), reason))
    if plain_jsonl:
        f = plain_jsonl[0]
        text = json.dumps(_clean_nones(sample(f)), ensure_ascii=False, separators=(",", ":"))
        f.bad_lines.append((text[: len(text) // 2], "not JSON (line cut off mid-record)"))
        record = sample(f)
        record["ThoiDiem"] = f"{record['ThoiDiem'][:4]}0230083000"
        f.bad_lines.append((_clean_nones(record), "ThoiDiem on 30 February: not a date"))
    for f in csv_files[:1] + csv_files[-1:]:
        record = sample(f)
        if f.kind == "csv":
            record["KenhThucHien"] = "hai"
            f.bad_lines.append((record, "KenhThucHien 'hai' is not an integer"))
        else:
            record["DuocThanhToanTrucTuyen"] = 5
            f.bad_lines.append((record, "DuocThanhToanTrucTuyen 5 outside 0-2"))
    return ghost


def _clean_nones(record: dict[str, Any]) -> dict[str, Any]:
    # Bad rows are written as-is; empty optionals are simply left out.
    return {k: v for k, v in record.items() if v is not None or k in PORTAL_REQUIRED}


# --------------------------------------------------------------------------------------
# Postal shipments
# --------------------------------------------------------------------------------------


@dataclass
class Shipment:
    waybill: str
    dossier: str
    service: str
    agency: str
    accepted: datetime
    fee: int | None
    states: list[tuple[datetime, str]]  # final states as they happen: (when, status)

    def state_at(self, moment: datetime) -> tuple[str, datetime | None]:
        current: tuple[str, datetime | None] = (IN_TRANSIT, None)
        for when, status in self.states:
            if when <= moment:
                current = (status, when)
        return current


class WaybillMaker:
    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def __call__(self, prefixes: Sequence[str]) -> str:
        while True:
            prefix = prefixes[int(self.rng.integers(0, len(prefixes)))]
            code = f"{prefix}{int(self.rng.integers(0, 1_000_000_000)):09d}VN"
            if code not in self.used:
                self.used.add(code)
                return code


def _postal_delivery(rng: np.random.Generator, accepted: datetime) -> list[tuple[datetime, str]]:
    def later(days_low: int, days_high: int, base: datetime) -> datetime:
        day = base.date() + timedelta(days=int(rng.integers(days_low, days_high + 1)))
        if day.weekday() == 6:  # no delivery rounds on Sundays
            day += timedelta(days=1)
        moment = datetime.combine(day, office_time(rng))
        return max(moment, base + timedelta(hours=2))

    roll = rng.random()
    first = later(1, 4, accepted)
    if roll < 0.915:
        return [(first, DELIVERED)]
    if roll < 0.94:
        return [(first, FAILED), (later(1, 3, first), DELIVERED)]
    if roll < 0.955:
        return [(first, FAILED), (later(7, 20, first), RETURNED)]  # held, then sent back
    if roll < 0.97:
        return [(first, FAILED)]
    if roll < 0.98:
        return [(later(6, 12, accepted), RETURNED)]
    return [(later(10, 25, accepted), DELIVERED)]  # slow: in transit across exports


def _build_shipments(dossiers: list[Dossier], rng: np.random.Generator,
                     cutoff: datetime) -> list[Shipment]:
    make = WaybillMaker(rng)
    shipments: list[Shipment] = []
    for d in dossiers:
        received = next((e.at for e in d.events if e.status == 2), None)
        if d.channel == 3:
            first = d.events[0].at
            reached = received or first
            accepted = datetime.combine(reached.date() - timedelta(days=int(rng.integers(1, 4))),
                                        office_time(rng))
            delivered = reached - timedelta(minutes=int(rng.integers(5, 120)))
            shipments.append(Shipment(
                make(("RA", "RB")), d.code, SERVICE_SUBMISSION, d.agency.code, accepted,
                int(rng.choice([18000, 20000, 22000, 25000])), [(delivered, DELIVERED)]))
        returned = [e for e in d.events if e.status == 10]
        modes = [e.return_mode for e in d.events if e.return_mode is not None]
        if returned and modes and modes[-1] == 1:
            accepted = returned[0].at + timedelta(minutes=int(rng.integers(10, 240)))
            if accepted > cutoff:
                continue
            shipments.append(Shipment(
                make(("EB", "EE", "EL")), d.code, SERVICE_RESULT, d.agency.code, accepted,
                int(rng.choice([20000, 22000, 25000, 27500, 30000, 32000, 35000])),
                _postal_delivery(rng, accepted)))
    for s in shipments:
        if rng.random() < 0.03:
            s.fee = None
        if rng.random() < 0.02:
            s.dossier = ""  # counter clerk did not type the dossier code
    return sorted(shipments, key=lambda s: (s.accepted, s.waybill))


POSTAL_STYLE = {0: "csv_plain", 1: "csv_dotted", 2: "xlsx", 3: "xlsx_then_csv", 4: "csv_quarters"}


def _postal_export_time(year: int, month: int, last: tuple[int, int]) -> datetime:
    if (year, month) == last:
        return datetime(year, 12, 31, 23, 59)
    y, m = (year + 1, 1) if month == 12 else (year, month + 1)
    return datetime(y, m, 3, 8, 30)


def _write_postal(out: Output, shipments: list[Shipment], years: tuple[int, int],
                  rng: np.random.Generator, unmatched_codes: list[str], messy: bool) -> None:
    first_year, last_year = years
    months = [(y, m) for y in range(first_year, last_year + 1) for m in range(1, 13)]
    make = WaybillMaker(rng)
    make.used.update(s.waybill for s in shipments)
    # A few shipments refer to dossiers the portal never had (typed codes, other systems).
    agencies = sorted({s.agency for s in shipments})
    for code in unmatched_codes:
        accepted = datetime.combine(date(int(rng.integers(first_year, last_year + 1)),
                                         int(rng.integers(1, 13)), int(rng.integers(1, 28))),
                                    office_time(rng))
        shipments.append(Shipment(make(("EB",)), code, SERVICE_RESULT,
                                  code.split("-")[0] if "-" in code else agencies[0], accepted,
                                  25000, _postal_delivery(rng, accepted)))
    by_month: dict[tuple[int, int], list[Shipment]] = defaultdict(list)
    for s in sorted(shipments, key=lambda s: (s.accepted, s.waybill)):
        by_month[(s.accepted.year, s.accepted.month)].append(s)

    bad_plan = _postal_bad_plan(months) if messy else {}
    carried: list[Shipment] = []
    for y, m in months:
        exported = _postal_export_time(y, m, months[-1])
        listed = carried + by_month.get((y, m), [])
        rows = [(s, *s.state_at(exported)) for s in listed]
        # Re-exported next month: whatever is still moving, including failed deliveries
        # that are later redelivered or returned (two final rows: the later file wins).
        carried = [s for s, status, _ in rows
                   if status == IN_TRANSIT or s.states[-1][0] > exported]
        path, kind = _postal_path(y, m, first_year)
        _emit_postal_file(out, path, kind, rows, exported, rng,
                          bad_plan.get((y, m), []), make)
        # The operator re-exported the second quarter of the overlap year in October, with a
        # few stale rows still "in transit" that must lose against their earlier final rows.
        if POSTAL_STYLE[(y - first_year) % 5] == "xlsx_then_csv" and m == 12:
            moment = datetime(y, 10, 7, 9, 0)
            quarter = [s for q in (4, 5, 6) for s in by_month.get((y, q), [])]
            rerows = [(s, *s.state_at(moment)) for s in quarter]
            finals = [i for i, (_, status, _) in enumerate(rerows) if status != IN_TRANSIT]
            for i in sorted(int(j) for j in rng.choice(finals, size=min(3, len(finals)),
                                                         replace=False)):
                rerows[i] = (rerows[i][0], IN_TRANSIT, None)
            _emit_postal_file(out, f"postal/{y}/bccp_{y}_q2_xuat_lai.xlsx", "xlsx", rerows,
                              moment, rng, [], make)


def _postal_path(year: int, month: int, first_year: int) -> tuple[str, str]:
    style = POSTAL_STYLE[(year - first_year) % 5]
    name = f"bccp_{year}_{month:02d}"
    if style in ("csv_plain", "csv_dotted"):
        return f"postal/{year}/{name}.csv", style
    if style == "xlsx":
        if month == 6:
            return f"postal/{year}/{name}.xlsx", "xlsx_datetime"
        if month == 9:
            return f"postal/{year}/{name}.xlsx", "xlsx_money_numbers"
        return f"postal/{year}/{name}.xlsx", "xlsx"
    if style == "xlsx_then_csv":
        return (f"postal/{year}/{name}.xlsx", "xlsx") if month <= 6 else \
            (f"postal/{year}/{name}.csv", "csv_plain")
    return f"postal/{year}/Q{(month - 1) // 3 + 1}/{name}.csv", "csv_mixed"


def _postal_bad_plan(months: list[tuple[int, int]]) -> dict[tuple[int, int], list[str]]:
    """Which contract rule each bad shipment row breaks, spread over the files."""
    # Only the contract's reject kinds (missing, unparseable, outside the listed values): a
    # waybill off its pattern is not one of them, so it is not used here.
    rules = ["waybill_empty", "status_empty", "accepted_unparseable", "accepted_empty",
             "status_unknown", "service_unknown", "fee_unparseable", "delivered_unparseable",
             "agency_empty"]
    plan: dict[tuple[int, int], list[str]] = defaultdict(list)
    for i, rule in enumerate(rules):
        plan[months[int(4 + i * (len(months) - 8) / len(rules))]].append(rule)
    return plan


BAD_POSTAL_REASONS = {
    "waybill_empty": "missing required Mã bưu gửi",
    "status_empty": "missing required Trạng thái",
    "accepted_unparseable": "Ngày chấp nhận on 31/02: not a date",
    "accepted_empty": "missing required Ngày chấp nhận",
    "status_unknown": "Trạng thái 'Không rõ' outside the listed values",
    "service_unknown": "Loại dịch vụ 'Chuyển phát nhanh' outside the listed values",
    "fee_unparseable": "Cước (VNĐ) '25,5k' is not an integer",
    "delivered_unparseable": "Ngày phát as yyyy-mm-dd HH:MM, not dd/mm/yyyy HH:MM",
    "agency_empty": "missing required Mã đơn vị",
}


def _emit_postal_file(out: Output, path: str, kind: str,
                      rows: list[tuple[Shipment, str, datetime | None]], exported: datetime,
                      rng: np.random.Generator, bad_rules: list[str], make: WaybillMaker) -> None:
    def stamp(moment: datetime | None) -> Any:
        if moment is None:
            return ""
        return moment if kind == "xlsx_datetime" else moment.strftime("%d/%m/%Y %H:%M")

    def money(fee: int | None) -> Any:
        if fee is None:
            return ""
        if kind == "xlsx_money_numbers":
            return fee
        dotted = kind == "csv_dotted" or (kind == "csv_mixed" and rng.random() < 0.5) or \
            (kind.startswith("xlsx") and rng.random() < 0.3)
        return _thousands(fee) if dotted else str(fee)

    table: list[list[Any]] = [
        [s.waybill, s.dossier, s.service, s.agency, stamp(s.accepted), stamp(delivered),
         status, money(s.fee)]
        for s, status, delivered in rows
    ]
    for rule in bad_rules:
        accepted = datetime(exported.year, exported.month, 1, 9, 0) - timedelta(days=5)
        row: list[Any] = [make(("EB",)), "", SERVICE_RESULT, dept_code(9),
                          accepted.strftime("%d/%m/%Y %H:%M"),
                          (accepted + timedelta(days=2)).strftime("%d/%m/%Y %H:%M"),
                          DELIVERED, "25000"]
        if rule == "waybill_empty":
            row[0] = ""
        elif rule == "status_empty":
            row[6] = ""
        elif rule == "accepted_unparseable":
            row[4] = f"31/02/{accepted.year} 09:15"
        elif rule == "accepted_empty":
            row[4] = ""
        elif rule == "status_unknown":
            row[6] = "Không rõ"
        elif rule == "service_unknown":
            row[2] = "Chuyển phát nhanh"
        elif rule == "fee_unparseable":
            row[7] = "25,5k"
        elif rule == "delivered_unparseable":
            row[5] = (accepted + timedelta(days=2)).strftime("%Y-%m-%d %H:%M")
        elif rule == "agency_empty":
            row[3] = ""
        position = int(rng.integers(0, len(table) + 1))
        table.insert(position, row)
        # later insertions shift earlier bad rows down
        for b in out.bad:
            if b.file == path and b.line >= position + 2:
                b.line += 1
        out.bad.append(BadRow("postal", path, position + 2, BAD_POSTAL_REASONS[rule]))
    target = out.root / path
    if kind.startswith("xlsx"):
        _write_xlsx(target, POSTAL_HEADER, table, stamp=exported,
                    date_format="dd/mm/yyyy hh:mm" if kind == "xlsx_datetime" else None)
    else:
        _write_csv(target, POSTAL_HEADER, table, bom=True)
    out.record("postal", path, len(table))


# --------------------------------------------------------------------------------------
# Mailbox reports
# --------------------------------------------------------------------------------------

# Growth of issued mailboxes relative to the end of 2017 (month index from Jan 2016), and
# the share in active use: the rollout was fast in 2016-2017 and levels off afterwards.
MAILBOX_GROWTH = ((0, 0.55), (11, 0.76), (23, 1.0), (35, 1.06), (47, 1.11), (59, 1.16))
MAILBOX_ACTIVE = ((0, 0.55), (23, 0.78), (59, 0.90))


def _interpolate(knots: tuple[tuple[int, float], ...], x: int) -> float:
    xs, ys = zip(*knots, strict=True)
    return float(np.interp(x, xs, ys))


@dataclass
class MailboxRow:
    agency: Agency
    month: tuple[int, int]
    issued: int
    active: int
    new: int
    revoked: int

    def cells(self, dotted: bool, with_name: bool) -> list[Any]:
        def number(n: int) -> Any:
            return _thousands(n) if dotted else n

        return [self.agency.code, self.agency.name if with_name else "",
                f"{self.month[1]:02d}/{self.month[0]}", number(self.issued),
                number(self.active), number(self.new), number(self.revoked)]


def _month_end(year: int, month: int) -> date:
    return (date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)) - timedelta(days=1)


def _build_mailbox(catalog: Catalog, rng: np.random.Generator,
                   years: tuple[int, int]) -> tuple[list[MailboxRow], tuple[str, tuple[int, int]]]:
    """True monthly series per agency (issued_t = issued_t-1 + new - revoked) and the
    agency-month that is deliberately not reported."""
    first_year, last_year = years
    months = [(y, m) for y in range(first_year, last_year + 1) for m in range(1, 13)]
    base_index = (first_year - 2016) * 12
    rows: list[MailboxRow] = []
    last_issued: dict[str, int] = {}
    predecessors: dict[str, list[str]] = defaultdict(list)
    for a in catalog.agencies:
        if a.successor:
            predecessors[a.successor].append(a.code)
    # Predecessors first, so a successor can take over their mailboxes.
    order = sorted(catalog.agencies, key=lambda a: (a.valid_to or NEVER, a.code))
    for agency in order:
        size = agency.mailboxes_2017 * float(rng.uniform(0.92, 1.08))
        previous_target = size * _interpolate(MAILBOX_GROWTH, base_index - 1)
        issued = None
        for i, (y, m) in enumerate(months):
            if not agency.exists_on(_month_end(y, m)):
                continue
            t = base_index + i
            target = size * _interpolate(MAILBOX_GROWTH, t)
            revoked = int(rng.poisson(size * 0.003))
            organic = max(0, round(target - previous_target) + revoked
                          + int(rng.integers(-2, 3)))
            previous_target = target
            if issued is None:
                taken_over = sum(last_issued.get(p, 0) for p in predecessors[agency.code])
                if agency.valid_from > PRE_EXISTING_FROM:
                    issued, new = 0, taken_over + organic  # new agency: all accounts new
                else:
                    issued, new = round(size * _interpolate(MAILBOX_GROWTH, t - 1)), organic
            else:
                # Mailboxes of agencies merged into this one move over the month after.
                moved = sum(last_issued.pop(p, 0) for p in predecessors[agency.code]
                            if _merged_before(catalog, p, (y, m)))
                new = organic + moved
            issued = issued + new - revoked
            share = _interpolate(MAILBOX_ACTIVE, t) + float(rng.normal(0, 0.02))
            active = min(issued, max(0, round(issued * share)))
            rows.append(MailboxRow(agency, (y, m), issued, active, new, revoked))
            last_issued[agency.code] = issued
    skipped = ("", (0, 0))
    if first_year <= MAILBOX_CALIBRATION_YEAR <= last_year:
        communes = sorted({r.agency.code for r in rows if r.agency.level == "xa"
                           and r.agency.code not in COMMUNE_CHAIN})
        skip_code = communes[int(rng.integers(0, len(communes)))]
        skipped = (skip_code, (MAILBOX_CALIBRATION_YEAR, 12))
        # No activity in the month it did not report, so the series stays consistent.
        for r in rows:
            if r.agency.code == skip_code and r.month == skipped[1]:
                r.new = r.revoked = 0
        _restitch(rows, skip_code)
    return rows, skipped


def _merged_before(catalog: Catalog, code: str, month: tuple[int, int]) -> bool:
    agency = catalog.agency(code)
    return agency.valid_to is not None and agency.valid_to < date(month[0], month[1], 1)


def _restitch(rows: list[MailboxRow], code: str) -> None:
    """Recompute an agency's cumulative counts from its flows after an edit."""
    series = [r for r in rows if r.agency.code == code]
    for previous, current in zip(series, series[1:], strict=False):
        current.issued = previous.issued + current.new - current.revoked
        current.active = min(current.active, current.issued)


def _last_report_sum(rows: Iterable[MailboxRow], year: int) -> int:
    last: dict[str, MailboxRow] = {}
    for r in rows:
        seen = last.get(r.agency.code)
        if r.month[0] == year and (seen is None or r.month > seen.month):
            last[r.agency.code] = r
    return sum(r.issued for r in last.values())


def _calibrate_mailbox(rows: list[MailboxRow], skipped: tuple[str, tuple[int, int]],
                       rng: np.random.Generator) -> int:
    """Shift the largest reporter's whole series so that the 2017 figure lands on a target
    inside "nearly 9,000"; a constant shift keeps every month's flows consistent."""
    reported = [r for r in rows if (r.agency.code, r.month) != skipped]
    target = int(rng.integers(*MAILBOX_TARGET_RANGE))
    delta = target - _last_report_sum(reported, MAILBOX_CALIBRATION_YEAR)
    largest = max(DEPARTMENTS, key=lambda d: d[3])[0]
    for r in rows:
        if r.agency.code == dept_code(largest):
            r.issued += delta
            r.active = min(r.active, r.issued)
    return target


MAILBOX_STYLE = {0: "csv_plain", 1: "xlsx", 2: "csv_dotted", 3: "xlsx", 4: "alternate"}


def _write_mailbox(out: Output, catalog: Catalog, rng: np.random.Generator,
                   years: tuple[int, int], messy: bool) -> int:
    rows, skipped = _build_mailbox(catalog, rng, years)
    target = 0
    if skipped[0]:
        target = _calibrate_mailbox(rows, skipped, rng)
    first_year, last_year = years
    months = [(y, m) for y in range(first_year, last_year + 1) for m in range(1, 13)]
    by_month: dict[tuple[int, int], list[MailboxRow]] = defaultdict(list)
    for r in rows:
        if (r.agency.code, r.month) != skipped:
            by_month[r.month].append(r)
    order = {a.code: i for i, a in enumerate(catalog.agencies)}
    for month_rows in by_month.values():
        month_rows.sort(key=lambda r: order[r.agency.code])
    # Reports that arrive broken (messy) are the agency's only report of that month. Those
    # months get no activity whether messy or not, so the valid series stay consistent
    # across the gap and clean and messy output differ only by the broken rows.
    bad_plan = _mailbox_bad_plan(months, first_year)
    for month, picks in sorted(bad_plan.items()):
        for _rule, index in picks:
            quiet = by_month[month][index]
            quiet.new = quiet.revoked = 0
            _restitch(rows, quiet.agency.code)
    if not messy:
        bad_plan = {}

    # Corrections: the first report had wrong figures; a later file (in path order)
    # re-reports the agency-month. Wrong originals are what the correction-wins rule fixes.
    corrections: dict[tuple[int, int], tuple[str, list[MailboxRow]]] = {}
    wrong: dict[tuple[str, tuple[int, int]], MailboxRow] = {}
    late_year = first_year + 3  # a correction filed in the next month's folder
    year_pairs = [(MAILBOX_CALIBRATION_YEAR, 12, f"mailbox/{MAILBOX_CALIBRATION_YEAR}/12/"
                   f"bao_cao_{MAILBOX_CALIBRATION_YEAR}_12_dieu_chinh.csv"),
                  (late_year, 3, f"mailbox/{late_year}/04/dieu_chinh_{late_year}_03.csv")]
    for y, m, path in year_pairs:
        if (y, m) not in by_month:
            continue
        month_rows = by_month[(y, m)]
        largest = [r for r in month_rows if r.agency.code == dept_code(14)]
        others = [r for r in month_rows if r.agency.code != dept_code(14)]
        fixed = largest + [others[int(i)] for i in sorted(rng.choice(len(others), 2,
                                                                       replace=False))]
        for k, r in enumerate(fixed):
            bump = int(rng.integers(150, 260)) if k == 0 else -int(rng.integers(20, 45))
            bad_issued = r.issued + bump
            wrong[(r.agency.code, r.month)] = MailboxRow(
                r.agency, r.month, bad_issued, min(r.active, bad_issued), r.new, r.revoked)
        corrections[(y, m)] = (path, fixed)

    for y, m in months:
        month_rows = by_month.get((y, m), [])
        if not month_rows:
            continue
        style = MAILBOX_STYLE[(y - first_year) % 5]
        if style == "alternate":
            style = "csv_dotted" if m % 2 else "xlsx"
        if style == "xlsx" and (y - first_year) % 5 == 3 and m == 5:
            style = "xlsx_dotted"
        ext = "xlsx" if style.startswith("xlsx") else "csv"
        path = f"mailbox/{y}/{m:02d}/bao_cao_{y}_{m:02d}.{ext}"
        written = [wrong.get((r.agency.code, r.month), r) for r in month_rows]
        table = [r.cells(dotted=style.endswith("dotted"), with_name=rng.random() > 0.05)
                 for r in written]
        for rule, index in bad_plan.get((y, m), []):
            table[index] = _break_mailbox_cells(table[index], rule)
            out.bad.append(BadRow("mailbox", path, index + 2, BAD_MAILBOX_REASONS[rule]))
        stamp = datetime.combine(_month_end(y, m) + timedelta(days=5), time(9, 0))
        if ext == "xlsx":
            _write_xlsx(out.root / path, MAILBOX_HEADER, table, stamp=stamp)
        else:
            _write_csv(out.root / path, MAILBOX_HEADER, table, bom=False)
        out.record("mailbox", path, len(table))
    for (y, m), (path, fixed) in sorted(corrections.items()):
        table = [r.cells(dotted=True, with_name=True) for r in fixed]
        if messy and y == late_year:
            # A correction line that itself breaks the contract: the original stands.
            extra = [r for r in by_month[(y, m)] if r not in fixed][0]
            table.append(_break_mailbox_cells(extra.cells(dotted=True, with_name=True),
                                              "active_empty"))
            out.bad.append(BadRow("mailbox", path, len(table) + 1,
                                  BAD_MAILBOX_REASONS["active_empty"]))
        _write_csv(out.root / path, MAILBOX_HEADER, table, bom=False)
        out.record("mailbox", path, len(table))
    return target


BAD_MAILBOX_REASONS = {
    "month_13": "Kỳ báo cáo month 13 is not a month",
    "agency_empty": "missing required Mã đơn vị",
    "issued_letter_o": "Tổng số hộp thư đã cấp '1.2O5' is not an integer",
    "active_empty": "missing required Số hộp thư đang sử dụng",
    "month_iso": "Kỳ báo cáo as yyyy-mm, not MM/yyyy",
    "new_dash": "Cấp mới trong kỳ '-' is not an integer",
    "revoked_word": "Thu hồi trong kỳ 'hai' is not an integer",
}


def _mailbox_bad_plan(months: list[tuple[int, int]],
                      first_year: int) -> dict[tuple[int, int], list[tuple[str, int]]]:
    # Away from the calibration year and from December, so that the 2017 figure and every
    # agency's last report month are untouched by rejects.
    picks = (("month_13", 2, 3, 5), ("agency_empty", 2, 8, 12), ("issued_letter_o", 2, 11, 15),
             ("month_iso", 3, 7, 20), ("new_dash", 4, 5, 40), ("revoked_word", 4, 10, 8))
    plan: dict[tuple[int, int], list[tuple[str, int]]] = defaultdict(list)
    for rule, offset, month, index in picks:
        if (first_year + offset, month) in months:
            plan[(first_year + offset, month)].append((rule, index))
    return plan


def _break_mailbox_cells(cells: list[Any], rule: str) -> list[Any]:
    cells = list(cells)
    if rule == "month_13":
        cells[2] = f"13/{cells[2][-4:]}"
    elif rule == "agency_empty":
        cells[0] = ""
    elif rule == "issued_letter_o":
        cells[3] = "1.2O5"
    elif rule == "active_empty":
        cells[4] = ""
    elif rule == "month_iso":
        cells[2] = f"{cells[2][-4:]}-{cells[2][:2]}"
    elif rule == "new_dash":
        cells[5] = "-"
    elif rule == "revoked_word":
        cells[6] = "hai"
    return cells


# --------------------------------------------------------------------------------------
# Catalogue files
# --------------------------------------------------------------------------------------


def _write_catalog(out: Output, catalog: Catalog) -> None:
    def iso(day: date | None) -> str:
        return day.isoformat() if day else ""

    agencies = [[a.code, a.name, a.level, a.parent, iso(a.valid_from), iso(a.valid_to),
                 a.successor or ""] for a in catalog.agencies]
    _write_csv(out.root / "catalog/agencies.csv", AGENCY_HEADER, agencies, bom=False,
               newline="\n")
    out.record("catalog", "catalog/agencies.csv", len(agencies))
    procedures = []
    for p in sorted(catalog.procedures, key=lambda p: p.code):
        for level, begin, finish in p.periods():
            procedures.append([p.code, p.name, p.field_code, p.field_name, p.level, level,
                               int(p.fee), iso(begin), iso(finish)])
    _write_csv(out.root / "catalog/procedures.csv", PROCEDURE_HEADER, procedures, bom=False,
               newline="\n")
    out.record("catalog", "catalog/procedures.csv", len(procedures))


# --------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------


def _reset(out_dir: Path) -> None:
    # Regenerating must not leave files of an older generation behind.
    for source in SOURCES:
        shutil.rmtree(out_dir / source, ignore_errors=True)


def generate(out_dir: Path, *, scale: float = 1.0, seed: int = 2017,
             years: tuple[int, int] = (2016, 2020), messy: bool = True) -> dict:
    """Write a complete landing folder (portal, postal, mailbox, catalog) under `out_dir`.

    `scale` multiplies the dossier volume (and so the shipments); the catalogue and the
    mailbox reports do not depend on it. `messy=False` leaves out the contract-violating
    rows but keeps every quirk the contract allows (duplicates, overlaps, corrections).
    Existing `portal/`, `postal/`, `mailbox/` and `catalog/` sub-folders are replaced.
    """
    out_dir = Path(out_dir)
    _reset(out_dir)
    out = Output(out_dir)
    catalog = build_catalog()
    first_year, last_year = years
    calendar = Calendar(date(first_year - 1, 12, 1), date(last_year + 1, 3, 31))

    simulator = PortalSimulator(catalog, calendar, np.random.default_rng([seed, 1]), years)
    dossiers = simulator.run(scale)
    events = [e for d in dossiers for e in d.events]
    file_rng = np.random.default_rng([seed, 4])
    files = _plan_portal_files(events, years, file_rng)
    codes = {d.code for d in dossiers}
    ghost = ""
    if messy:
        ghost = _portal_bad_rows(files, codes, file_rng)
    _write_portal(out, files, file_rng)

    postal_rng = np.random.default_rng([seed, 2])
    shipments = _build_shipments(dossiers, postal_rng, simulator.cutoff)
    unmatched = _unmatched_codes(dossiers, codes, postal_rng) + ([ghost] if ghost else [])
    _write_postal(out, shipments, years, postal_rng, unmatched, messy)

    mailbox_issued = _write_mailbox(out, catalog, np.random.default_rng([seed, 3]), years, messy)
    _write_catalog(out, catalog)

    bad_counts: dict[str, int] = defaultdict(int)
    for b in out.bad:
        bad_counts[b.source] += 1
    return {
        "out_dir": str(out_dir),
        "files": {s: len(out.files[s]) for s in SOURCES},
        "rows": {s: out.rows[s] for s in SOURCES},
        "bad_rows": {s: bad_counts[s] for s in SOURCES},
        "bad_row_details": [vars(b) for b in sorted(out.bad, key=lambda b: (b.file, b.line))],
        "dossiers": len(dossiers),
        "distinct_events": len({e.key() for e in events}),
        "shipments": len({s.waybill for s in shipments}),
        "calibration": {
            "online_services_level3_2017": len(_level3_on(catalog.procedures, CALIBRATION_DAY)),
            "mailboxes_issued_2017": mailbox_issued,
        },
    }


def _unmatched_codes(dossiers: list[Dossier], codes: set[str],
                     rng: np.random.Generator) -> list[str]:
    picks = [dossiers[int(i)] for i in rng.choice(len(dossiers), size=min(6, len(dossiers)),
                                                    replace=False)]
    result = []
    for d in picks:
        agency, day, _seq = d.code.split("-")
        seq = 90000 + int(rng.integers(0, 9999))
        while f"{agency}-{day}-{seq:05d}" in codes:
            seq += 1
        result.append(f"{agency}-{day}-{seq:05d}")
    return result


# --------------------------------------------------------------------------------------
# Fast portal events for benchmarks
# --------------------------------------------------------------------------------------

# Lifecycle templates (status sequences) and their weights, for in-person/postal and for
# online dossiers. Online dossiers are registered (1) before reception.
OFFLINE_TEMPLATES = (
    ((2, 4, 9, 10), 0.62), ((2, 4, 6, 9, 10), 0.12), ((2, 4, 5, 4, 9, 10), 0.08),
    ((2, 4, 9), 0.06), ((1, 2, 4, 9, 10), 0.06), ((2, 4, 5, 4, 5, 4, 9, 10), 0.015),
    ((2, 4, 7), 0.015), ((2, 4, 8), 0.01), ((2, 4), 0.01), ((3,), 0.01),
)
ONLINE_TEMPLATES = (
    ((1, 2, 4, 9, 10), 0.62), ((1, 2, 4, 6, 9, 10), 0.14), ((1, 2, 4, 5, 4, 9, 10), 0.08),
    ((1, 2, 4, 9), 0.05), ((1, 3), 0.05), ((1, 2, 4, 5, 4, 5, 4, 9, 10), 0.02),
    ((1, 2, 4, 7), 0.015), ((1, 2, 4, 8), 0.01), ((1, 2, 4), 0.015),
)
# Typical gap before reaching each status, in hours: (low, high).
STEP_HOURS = {1: (0.5, 60.0), 2: (0.0, 0.0), 3: (1.0, 30.0), 4: (0.2, 20.0), 5: (20.0, 100.0),
              6: (2.0, 70.0), 7: (24.0, 240.0), 8: (48.0, 480.0), 10: (1.0, 96.0)}


def generate_portal_events(out_dir: Path, n_events: int, *, seed: int = 7,
                           years: tuple[int, int] = (2016, 2020),
                           with_catalog: bool = True) -> dict:
    """Write about `n_events` clean portal events (within 1%) as monthly
    `portal/YYYY/MM/export_01.jsonl.gz` files, vectorised with numpy and DuckDB.

    Events refer to the same catalogue as `generate()`, which is written too unless
    `with_catalog` is False. Replaces an existing `portal/` (and `catalog/`) sub-folder.
    """
    out_dir = Path(out_dir)
    shutil.rmtree(out_dir / "portal", ignore_errors=True)
    out = Output(out_dir)
    catalog = build_catalog()
    if with_catalog:
        shutil.rmtree(out_dir / "catalog", ignore_errors=True)
        _write_catalog(out, catalog)
    rng = np.random.default_rng([seed, 5])
    first_year, last_year = years
    calendar = Calendar(date(first_year, 1, 1), date(last_year, 12, 31))
    days = np.array([d.toordinal() for d in calendar.working])
    day_years = np.array([d.year for d in calendar.working])
    day_weight = np.array([PortalSimulator._day_factor(d) for d in calendar.working])
    day_weight *= np.array([_year_param(DOSSIERS_PER_YEAR, int(y), first_year)
                            for y in day_years])
    day_weight /= day_weight.sum()

    # Agencies that existed over the whole window, by level share, and their procedures in
    # force over the whole window, so that every pick is valid on any day.
    window = (date(first_year, 1, 1), date(last_year, 12, 31))
    agencies = [a for a in catalog.agencies if a.dossier_weight > 0
                and a.valid_from <= window[0] and a.valid_to is None]
    _, agency_p = _agency_weights(agencies, window[0])
    procs = catalog.procedures
    proc_ok = np.array([p.start <= window[0] and p.end is None for p in procs])
    agency_procs = []
    for a in agencies:
        members = np.array([p.index for p in catalog.procedures_for(a) if proc_ok[p.index]])
        weights = np.array([procs[i].popularity for i in members])
        agency_procs.append((members, weights / weights.sum()))
    lvl3 = np.array([(p.level3_from or NEVER).toordinal() for p in procs])
    lvl4 = np.array([(p.level4_from or NEVER).toordinal() for p in procs])
    limits = np.array([p.time_limit for p in procs])
    fees = np.array([p.fee for p in procs])

    offline = _templates(OFFLINE_TEMPLATES)
    online = _templates(ONLINE_TEMPLATES)
    mean_length = 0.7 * offline[2] + 0.3 * online[2]
    count = int(n_events / mean_length * 1.25) + 200

    day_index = rng.choice(len(days), size=count, p=day_weight)
    ordinal = days[day_index]
    year = day_years[day_index]
    agency = rng.choice(len(agencies), size=count, p=agency_p)
    procedure = np.empty(count, dtype=np.int64)
    for i, (members, weights) in enumerate(agency_procs):
        chosen = np.nonzero(agency == i)[0]
        procedure[chosen] = members[rng.choice(len(members), size=len(chosen), p=weights)]
    level = np.where(ordinal >= lvl4[procedure], 4, np.where(ordinal >= lvl3[procedure], 3, 2))
    year_offset = np.clip(year - first_year, 0, 4)
    online_share = np.array([ONLINE_SHARE[k] for k in range(5)])[year_offset]
    postal_share = np.array([POSTAL_SUBMISSION_SHARE[k] for k in range(5)])[year_offset]
    roll = rng.random(count)
    channel = np.where((roll < online_share * 1.15) & (level >= 3), 2,
                       np.where(roll > 1 - postal_share, 3, 1))
    # Template ids index offline + online sequences, concatenated in that order.
    template = np.where(channel == 2,
                        len(offline[0]) + rng.choice(len(online[0]), size=count, p=online[1]),
                        rng.choice(len(offline[0]), size=count, p=offline[1]))
    all_templates = offline[0] + online[0]
    lengths = np.array([len(all_templates[t]) for t in template])

    # Events: dossier id, position in its template, status.
    dossier = np.repeat(np.arange(count), lengths)
    starts = np.cumsum(lengths) - lengths
    position = np.arange(len(dossier)) - starts[dossier]
    flat = np.concatenate([np.array(t) for t in all_templates])
    offsets = np.cumsum([0] + [len(t) for t in all_templates])[:-1]
    status = flat[offsets[template[dossier]] + position]

    received = (ordinal - date(1970, 1, 1).toordinal()) * 86400 \
        + rng.integers(int(7.5 * 3600), 17 * 3600, size=count)
    low = np.zeros(11)
    high = np.zeros(11)
    for s, (a, b) in STEP_HOURS.items():
        low[s], high[s] = a * 3600, b * 3600
    gap = low[status] + rng.random(len(status)) * (high[status] - low[status])
    # Processing takes up to 1.4x the legal limit (calendar days); some take longer: late.
    limit_seconds = limits[procedure][dossier] * 1.4 * 86400
    late = rng.random(len(status)) < 0.06
    gap = np.where(status == 9, limit_seconds * np.where(late, rng.uniform(1.05, 2.0, len(status)),
                                                          rng.uniform(0.15, 0.95, len(status))),
                   gap)
    before = status == 1
    forward = np.where(before, 0.0, gap)
    cumulative = np.cumsum(forward)
    cumulative -= np.repeat(cumulative[starts] - forward[starts], lengths)
    at = received[dossier] + np.where(before, -gap, cumulative).astype(np.int64)
    window_start = (date(first_year, 1, 1) - date(1970, 1, 1)).days * 86400
    window_end = (date(last_year + 1, 1, 1) - date(1970, 1, 1)).days * 86400 - 1
    at = np.maximum(at, window_start)
    due = received + (limits[procedure] * 1.4 * 86400).astype(np.int64)

    # Keep whole dossiers until the target is reached; events after the window are not
    # exported yet, so they do not count.
    kept = at <= window_end
    effective = np.bincount(dossier[kept], minlength=count)
    take = int(np.searchsorted(np.cumsum(effective), n_events, side="right"))
    mask = kept & (dossier < take)

    mode_roll = rng.random(count)
    return_mode = np.where(mode_roll < 0.08, 1, np.where((level == 4) & (mode_roll > 0.85), 2, 0))
    paid = np.where(fees[procedure] & (channel == 2) & (rng.random(count) < 0.2),
                    np.where(year >= 2020, 1, 2), -1)
    applicant = rng.choice([1, 2, 3, 4], size=count, p=[0.72, 0.22, 0.02, 0.04])

    con = duckdb.connect()
    con.execute("set threads to 2")
    con.register("agency_codes", {"agency_id": np.arange(len(agencies)),
                                  "agency_code": np.array([a.code for a in agencies])})
    con.register("procedure_codes", {"procedure_id": np.arange(len(procs)),
                                     "procedure_code": np.array([p.code for p in procs])})
    con.register("dossier_columns", {
        "dossier_id": np.arange(take), "agency_id": agency[:take],
        "procedure_id": procedure[:take], "channel": channel[:take], "level": level[:take],
        "due": due[:take], "return_mode": return_mode[:take], "paid": paid[:take],
        "applicant": applicant[:take],
    })
    con.register("event_columns", {"dossier_id": dossier[mask], "status": status[mask],
                                   "event_at": at[mask]})
    # Codes are numbered per agency and day of first contact, as on the portal.
    con.execute("""
        create table events as
        with first_contact as (
            select dossier_id, min(event_at) as first_at from event_columns group by dossier_id
        ),
        coded as (
            select
                d.*,
                a.agency_code::varchar as agency_code,
                p.procedure_code::varchar as procedure_code,
                make_timestamp(f.first_at * 1000000) as first_ts,
                row_number() over (
                    partition by d.agency_id, make_timestamp(f.first_at * 1000000)::date
                    order by f.first_at, d.dossier_id
                ) as seq
            from dossier_columns as d
            join first_contact as f using (dossier_id)
            join agency_codes as a using (agency_id)
            join procedure_codes as p using (procedure_id)
        )
        select
            c.agency_code || '-' || strftime(c.first_ts, '%y%m%d') || '-'
                || lpad(c.seq::varchar, 5, '0') as MaHoSo,
            c.procedure_code as MaTTHC,
            c.agency_code as MaDonVi,
            c.channel::integer as KenhThucHien,
            c.level::integer as MucDo,
            e.status::integer as TrangThaiHoSo,
            strftime(make_timestamp(e.event_at * 1000000), '%Y%m%d%H%M%S') as ThoiDiem,
            case when e.status not in (1, 3)
                then strftime(make_timestamp(c.due * 1000000)::date, '%Y%m%d') || '170000'
            end as NgayHenTra,
            case when e.status <> 1 then c.return_mode::integer end as HinhThucTra,
            case when e.status in (6, 9, 10) then nullif(c.paid, -1)::integer
            end as DuocThanhToanTrucTuyen,
            c.applicant::integer as LoaiDoiTuong,
            year(make_timestamp(e.event_at * 1000000)) * 100
                + month(make_timestamp(e.event_at * 1000000)) as export_month
        from event_columns as e
        join coded as c using (dossier_id)
    """)
    months = [m for (m,) in con.execute(
        "select distinct export_month from events order by 1").fetchall()]
    columns = ", ".join(PORTAL_FIELDS)
    for month in months:
        relative = f"portal/{month // 100}/{month % 100:02d}/export_01.jsonl.gz"
        target = out_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        con.execute(
            f"copy (select {columns} from events where export_month = {int(month)} "
            f"order by ThoiDiem, MaHoSo, TrangThaiHoSo) "
            f"to '{target.as_posix()}' (format json, compression gzip)")
        out.files["portal"].append(relative)
    written = con.execute("select count(*), count(distinct MaHoSo) from events").fetchone()
    con.close()
    assert written is not None
    return {
        "out_dir": str(out_dir),
        "files": {"portal": len(months), "catalog": len(out.files["catalog"])},
        "events": int(written[0]),
        "dossiers": int(written[1]),
        "requested": n_events,
    }


def _templates(spec: tuple[tuple[tuple[int, ...], float], ...]
               ) -> tuple[list[tuple[int, ...]], np.ndarray, float]:
    """(sequences, probabilities, mean length) of a template set."""
    sequences = [s for s, _ in spec]
    p = np.array([w for _, w in spec])
    p = p / p.sum()
    return sequences, p, float(sum(len(s) * w for s, w in zip(sequences, p, strict=True)))


# --------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sources.generate",
        description="Write deterministic parkpi landing data (portal, postal, mailbox, catalog).")
    parser.add_argument("--out", type=Path, required=True, help="landing folder to write")
    parser.add_argument("--scale", type=float, default=1.0, help="dossier volume multiplier")
    parser.add_argument("--seed", type=int, default=None,
                        help="activity seed (default 2017; 7 with --portal-events)")
    parser.add_argument("--clean", action="store_true",
                        help="leave out the deliberately contract-violating rows")
    parser.add_argument("--portal-events", type=int, default=None, metavar="N",
                        help="benchmark mode: write about N clean portal events (+ catalogue)")
    args = parser.parse_args(argv)
    if args.portal_events is not None:
        summary = generate_portal_events(args.out, args.portal_events,
                                         seed=7 if args.seed is None else args.seed)
    else:
        summary = generate(args.out, scale=args.scale,
                           seed=2017 if args.seed is None else args.seed, messy=not args.clean)
        summary.pop("bad_row_details")
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
