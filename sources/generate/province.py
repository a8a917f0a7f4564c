"""The province's structure: departments, districts, communes, a merger and a succession
chain (catalog/agencies.csv)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from sources.generate.common import PROVINCE, ROOT_CODE

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
    (
        1,
        "Sở Nội vụ",
        1.0,
        95,
        (
            ("Tổ chức bộ máy", 8, 0.0),
            ("Công chức, viên chức", 14, 0.0),
            ("Thi đua, khen thưởng", 12, 0.0),
            ("Tôn giáo", 18, 0.0),
            ("Văn thư, lưu trữ", 5, 0.2),
            ("Thanh niên", 3, 0.0),
        ),
    ),
    (
        2,
        "Sở Tư pháp",
        6.0,
        85,
        (
            ("Lý lịch tư pháp", 3, 1.0),
            ("Công chứng", 28, 0.6),
            ("Luật sư", 22, 0.5),
            ("Hộ tịch", 12, 0.5),
            ("Trợ giúp pháp lý", 14, 0.0),
            ("Giám định tư pháp", 10, 0.3),
            ("Quốc tịch", 9, 0.8),
            ("Đấu giá tài sản", 8, 0.6),
            ("Nuôi con nuôi", 9, 0.6),
            ("Hòa giải thương mại", 10, 0.3),
        ),
    ),
    (
        3,
        "Sở Kế hoạch và Đầu tư",
        7.0,
        70,
        (
            ("Thành lập và hoạt động của doanh nghiệp", 60, 0.6),
            ("Đầu tư tại Việt Nam", 38, 0.1),
            ("Thành lập và hoạt động của hợp tác xã", 18, 0.3),
            ("Đấu thầu", 14, 0.2),
        ),
    ),
    (
        4,
        "Sở Tài chính",
        0.6,
        90,
        (("Quản lý công sản", 14, 0.0), ("Quản lý giá", 8, 0.0), ("Tài chính ngân sách", 6, 0.0)),
    ),
    (
        5,
        "Sở Công Thương",
        3.0,
        150,
        (
            ("Lưu thông hàng hóa trong nước", 30, 0.7),
            ("Điện", 18, 0.6),
            ("Hóa chất", 16, 0.6),
            ("An toàn thực phẩm (Công Thương)", 10, 0.8),
            ("Xúc tiến thương mại", 12, 0.2),
            ("Kinh doanh khí", 14, 0.7),
            ("Vật liệu nổ công nghiệp", 10, 0.6),
            ("Thương mại quốc tế", 12, 0.5),
        ),
    ),
    (
        6,
        "Sở Nông nghiệp và Phát triển nông thôn",
        2.5,
        420,
        (
            ("Trồng trọt", 14, 0.4),
            ("Bảo vệ thực vật", 14, 0.7),
            ("Thú y", 20, 0.8),
            ("Chăn nuôi", 10, 0.5),
            ("Lâm nghiệp", 22, 0.2),
            ("Thủy lợi", 14, 0.2),
            ("Thủy sản", 8, 0.3),
            ("Quản lý chất lượng nông lâm sản và thủy sản", 10, 0.7),
        ),
    ),
    (
        7,
        "Sở Giao thông vận tải",
        9.0,
        130,
        (("Đường bộ", 80, 0.8), ("Đường thủy nội địa", 26, 0.6), ("Đăng kiểm", 14, 0.8)),
    ),
    (
        8,
        "Sở Xây dựng",
        2.5,
        75,
        (
            ("Hoạt động xây dựng", 20, 0.7),
            ("Quy hoạch xây dựng", 8, 0.3),
            ("Nhà ở", 10, 0.3),
            ("Kinh doanh bất động sản", 6, 0.5),
            ("Vật liệu xây dựng", 6, 0.2),
        ),
    ),
    (
        9,
        "Sở Tài nguyên và Môi trường",
        5.0,
        160,
        (
            ("Đất đai", 40, 0.9),
            ("Môi trường", 22, 0.6),
            ("Tài nguyên nước", 14, 0.8),
            ("Địa chất và khoáng sản", 12, 0.8),
            ("Đo đạc, bản đồ và viễn thám", 6, 0.5),
            ("Khí tượng, thủy văn", 4, 0.2),
        ),
    ),
    (
        10,
        "Sở Thông tin và Truyền thông",
        0.8,
        60,
        (
            ("Báo chí", 16, 0.3),
            ("Xuất bản, in và phát hành", 16, 0.5),
            ("Bưu chính", 5, 0.8),
            ("Viễn thông và Internet", 6, 0.6),
            ("Phát thanh, truyền hình và thông tin điện tử", 4, 0.5),
        ),
    ),
    (
        11,
        "Sở Lao động - Thương binh và Xã hội",
        3.5,
        140,
        (
            ("Việc làm", 14, 0.4),
            ("Lao động, tiền lương", 10, 0.2),
            ("An toàn, vệ sinh lao động", 8, 0.5),
            ("Giáo dục nghề nghiệp", 24, 0.3),
            ("Người có công", 26, 0.0),
            ("Bảo trợ xã hội", 12, 0.0),
            ("Phòng, chống tệ nạn xã hội", 8, 0.0),
            ("Trẻ em", 6, 0.0),
        ),
    ),
    (
        12,
        "Sở Văn hóa, Thể thao và Du lịch",
        1.5,
        180,
        (
            ("Văn hóa cơ sở", 14, 0.3),
            ("Di sản văn hóa", 14, 0.5),
            ("Nghệ thuật biểu diễn", 10, 0.6),
            ("Mỹ thuật, nhiếp ảnh, triển lãm", 12, 0.5),
            ("Thể dục thể thao", 30, 0.4),
            ("Lữ hành", 14, 0.8),
            ("Cơ sở lưu trú du lịch", 10, 0.8),
            ("Gia đình", 8, 0.0),
        ),
    ),
    (
        13,
        "Sở Khoa học và Công nghệ",
        0.6,
        55,
        (
            ("Hoạt động khoa học và công nghệ", 20, 0.2),
            ("Tiêu chuẩn, đo lường, chất lượng", 18, 0.6),
            ("An toàn bức xạ và hạt nhân", 10, 0.8),
            ("Sở hữu trí tuệ", 4, 0.5),
        ),
    ),
    (
        14,
        "Sở Giáo dục và Đào tạo",
        2.0,
        1450,
        (
            ("Giáo dục và đào tạo thuộc hệ thống giáo dục quốc dân", 48, 0.0),
            ("Thi, tuyển sinh", 10, 0.2),
            ("Văn bằng, chứng chỉ", 12, 0.3),
        ),
    ),
    (
        15,
        "Sở Y tế",
        4.0,
        1250,
        (
            ("Khám bệnh, chữa bệnh", 50, 0.8),
            ("Dược phẩm", 42, 0.8),
            ("Y tế dự phòng", 14, 0.5),
            ("An toàn thực phẩm và dinh dưỡng", 16, 0.9),
            ("Trang thiết bị y tế", 12, 0.6),
            ("Mỹ phẩm", 6, 0.8),
        ),
    ),
    (16, "Sở Ngoại vụ", 0.3, 30, (("Công tác lãnh sự", 6, 0.3), ("Hợp tác quốc tế", 5, 0.0))),
    (17, "Ban Dân tộc", 0.1, 25, (("Công tác dân tộc", 5, 0.0),)),
    (
        18,
        "Thanh tra tỉnh",
        0.4,
        40,
        (
            ("Tiếp công dân", 3, 0.0),
            ("Giải quyết khiếu nại", 4, 0.0),
            ("Giải quyết tố cáo", 3, 0.0),
            ("Phòng, chống tham nhũng", 3, 0.0),
        ),
    ),
    (
        19,
        "Ban Quản lý Khu kinh tế cửa khẩu Đồng Đăng - Lạng Sơn",
        1.2,
        70,
        (
            ("Đầu tư tại khu kinh tế", 18, 0.1),
            ("Xây dựng tại khu kinh tế", 12, 0.6),
            ("Thương mại tại khu kinh tế", 8, 0.5),
        ),
    ),
    (
        20,
        "Ban Quản lý các Khu công nghiệp tỉnh Lạng Sơn",
        0.6,
        30,
        (("Lao động tại khu công nghiệp", 10, 0.3), ("Môi trường tại khu công nghiệp", 6, 0.6)),
    ),
)

# 2019 merger of two provincial agencies into a successor that starts the next day.
MERGED_DEPARTMENTS = (19, 20)
MERGER_SUCCESSOR = (21, "Ban Quản lý Khu kinh tế và các Khu công nghiệp tỉnh Lạng Sơn")
PROVINCIAL_MERGER_LAST_DAY = date(2019, 6, 30)

# (number, name, dossier weight, mailboxes at end of 2017, communes: (number, name))
DISTRICTS: tuple[tuple[int, str, float, int, tuple[tuple[int, str], ...]], ...] = (
    (
        31,
        "UBND thành phố Lạng Sơn",
        2.0,
        430,
        ((1, "Phường Chi Lăng"), (2, "Phường Hoàng Văn Thụ"), (3, "Phường Tam Thanh"), (4, "Xã Mai Pha")),
    ),
    (32, "UBND huyện Tràng Định", 1.0, 300, ((1, "Thị trấn Thất Khê"), (2, "Xã Đề Thám"), (3, "Xã Kháng Chiến"))),
    (33, "UBND huyện Văn Lãng", 0.9, 290, ((1, "Thị trấn Na Sầm"), (2, "Xã Hoàng Việt"), (20, "Xã Tân Mỹ"))),
    (34, "UBND huyện Văn Quan", 0.8, 280, ((1, "Thị trấn Văn Quan"), (2, "Xã Tràng Các"), (3, "Xã Vân Mộng"))),
    (35, "UBND huyện Bình Gia", 0.8, 285, ((1, "Thị trấn Bình Gia"), (2, "Xã Hồng Phong"), (3, "Xã Tô Hiệu"))),
    (
        36,
        "UBND huyện Bắc Sơn",
        0.9,
        290,
        ((1, "Thị trấn Bắc Sơn"), (2, "Xã Bắc Sơn"), (3, "Xã Vũ Lễ"), (4, "Xã Hữu Vĩnh")),
    ),
    (37, "UBND huyện Hữu Lũng", 1.4, 340, ((1, "Thị trấn Hữu Lũng"), (2, "Xã Minh Sơn"), (3, "Xã Đồng Tân"))),
    (38, "UBND huyện Chi Lăng", 1.0, 300, ((1, "Thị trấn Đồng Mỏ"), (2, "Thị trấn Chi Lăng"), (3, "Xã Quang Lang"))),
    (
        39,
        "UBND huyện Cao Lộc",
        1.2,
        320,
        ((1, "Thị trấn Cao Lộc"), (2, "Thị trấn Đồng Đăng"), (3, "Xã Hợp Thành"), (4, "Xã Tân Liên")),
    ),
    (40, "UBND huyện Lộc Bình", 1.1, 310, ((1, "Thị trấn Lộc Bình"), (2, "Thị trấn Na Dương"), (3, "Xã Khuất Xá"))),
    (41, "UBND huyện Đình Lập", 0.5, 230, ((1, "Thị trấn Đình Lập"), (2, "Xã Đình Lập"), (3, "Xã Thái Bình"))),
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


def build_agencies(rng: np.random.Generator, field_codes: dict[int, tuple[str, ...]]) -> list[Agency]:
    agencies = [Agency(ROOT_CODE, "UBND tỉnh Lạng Sơn", "tinh", "", PRE_EXISTING_FROM, None, None, 0.0, 120)]
    successor = dept_code(MERGER_SUCCESSOR[0])
    successor_start = PROVINCIAL_MERGER_LAST_DAY + timedelta(days=1)
    for number, name, weight, mailboxes, _fields in DEPARTMENTS:
        merged = number in MERGED_DEPARTMENTS
        agencies.append(
            Agency(
                dept_code(number),
                name,
                "tinh",
                ROOT_CODE,
                PRE_EXISTING_FROM,
                PROVINCIAL_MERGER_LAST_DAY if merged else None,
                successor if merged else None,
                weight,
                mailboxes,
                field_codes[number],
            )
        )
    merged_fields = tuple(sorted({f for n in MERGED_DEPARTMENTS for f in field_codes[n]}))
    merged_weight = sum(d[2] for d in DEPARTMENTS if d[0] in MERGED_DEPARTMENTS)
    merged_boxes = sum(d[3] for d in DEPARTMENTS if d[0] in MERGED_DEPARTMENTS)
    agencies.append(
        Agency(
            successor,
            MERGER_SUCCESSOR[1],
            "tinh",
            ROOT_CODE,
            successor_start,
            None,
            None,
            merged_weight,
            merged_boxes,
            merged_fields,
        )
    )
    chain_end = dict(zip(COMMUNE_CHAIN[:2], COMMUNE_CHAIN_LAST_DAYS, strict=True))
    chain_next = dict(zip(COMMUNE_CHAIN[:2], COMMUNE_CHAIN[1:], strict=True))
    for number, name, weight, mailboxes, communes in DISTRICTS:
        district = dept_code(number)
        agencies.append(Agency(district, name, "huyen", ROOT_CODE, PRE_EXISTING_FROM, None, None, weight, mailboxes))
        for commune_number, commune_name in communes:
            code = commune_code(number, commune_number)
            agencies.append(
                Agency(
                    # "UBND xã ...", "UBND thị trấn ...": the unit type is lower case here.
                    code,
                    f"UBND {commune_name[0].lower()}{commune_name[1:]}",
                    "xa",
                    district,
                    PRE_EXISTING_FROM,
                    chain_end.get(code),
                    chain_next.get(code),
                    float(rng.uniform(0.6, 1.4)),
                    int(rng.integers(14, 34)),
                )
            )
    return agencies
