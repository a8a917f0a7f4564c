"""The procedure catalogue and its service levels over time (catalog/procedures.csv), calibrated
to 154 level-3 services on 31 December 2017."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from sources.generate.common import CALIBRATION_DAY, CATALOG_SEED, LEVEL3_ON_CALIBRATION_DAY
from sources.generate.province import DEPARTMENTS, Agency, build_agencies

# --------------------------------------------------------------------------------------
# The procedure catalogue
# --------------------------------------------------------------------------------------

# Fields handled by district and commune people's committees: (name, procedures, fee share).
DISTRICT_FIELDS = (
    ("Hộ tịch", 22, 0.5),
    ("Chứng thực", 14, 0.9),
    ("Đất đai", 30, 0.8),
    ("Xây dựng", 18, 0.6),
    ("Thành lập và hoạt động của hộ kinh doanh", 10, 0.7),
    ("Người có công", 20, 0.0),
    ("Bảo trợ xã hội", 18, 0.0),
    ("Giáo dục và đào tạo", 34, 0.0),
    ("Văn hóa", 14, 0.3),
    ("Y tế", 6, 0.5),
    ("Tài nguyên và môi trường", 16, 0.5),
    ("Nông nghiệp", 22, 0.3),
    ("Nội vụ", 20, 0.0),
    ("Tiếp công dân và khiếu nại, tố cáo", 8, 0.0),
    ("Lưu thông hàng hóa trong nước", 12, 0.8),
    ("Giao thông vận tải", 10, 0.3),
    ("Tư pháp", 8, 0.1),
    ("Dân tộc", 4, 0.0),
)
COMMUNE_FIELDS = (
    ("Hộ tịch", 30, 0.4),
    ("Chứng thực", 10, 0.9),
    ("Bảo trợ xã hội", 14, 0.0),
    ("Người có công", 20, 0.0),
    ("Đất đai", 8, 0.2),
    ("Văn hóa", 8, 0.0),
    ("Nông nghiệp", 12, 0.0),
    ("Tôn giáo", 10, 0.0),
    ("Thi đua, khen thưởng", 8, 0.0),
    ("Hòa giải cơ sở", 6, 0.0),
    ("Nuôi con nuôi", 6, 0.3),
    ("Giáo dục và đào tạo", 8, 0.0),
    ("Phòng, chống thiên tai", 4, 0.0),
    ("Lâm nghiệp", 6, 0.0),
)

ACTIONS = (
    "Cấp",
    "Cấp lại",
    "Cấp đổi",
    "Điều chỉnh",
    "Gia hạn",
    "Thu hồi",
    "Đăng ký",
    "Xác nhận",
    "Công nhận",
    "Thẩm định hồ sơ đề nghị cấp",
    "Chấp thuận",
    "Đăng ký thay đổi nội dung",
)
OBJECTS = (
    "giấy phép {f}",
    "giấy chứng nhận đủ điều kiện hoạt động {f}",
    "hồ sơ {f}",
    "chứng chỉ hành nghề {f}",
    "quyết định {f}",
    "thông báo {f}",
    "giấy xác nhận {f}",
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
    ("tinh", "Đất đai"): "Đăng ký biến động quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất",
    ("tinh", "Khám bệnh, chữa bệnh"): "Cấp chứng chỉ hành nghề khám bệnh, chữa bệnh đối với người Việt Nam",
    ("huyen", "Hộ tịch"): "Đăng ký khai sinh có yếu tố nước ngoài",
    ("huyen", "Chứng thực"): "Chứng thực bản sao từ bản chính giấy tờ, văn bản do cơ quan có "
    "thẩm quyền của nước ngoài cấp",
    ("huyen", "Thành lập và hoạt động của hộ kinh doanh"): "Đăng ký thành lập hộ kinh doanh",
    ("huyen", "Đất đai"): "Cấp Giấy chứng nhận quyền sử dụng đất lần đầu",
    ("xa", "Hộ tịch"): "Đăng ký khai sinh",
    ("xa", "Chứng thực"): "Chứng thực bản sao từ bản chính giấy tờ, văn bản do cơ quan có thẩm quyền của Việt Nam cấp",
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
            d
            for d in (self.level3_from, self.level4_from)
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
            procedures.append(
                Procedure(
                    index=len(procedures),
                    code=code,
                    name=name,
                    field_code=field_code,
                    field_name=field_name,
                    level=level,
                    owner=owner,
                    fee=bool(rng.random() < fee_share),
                    time_limit=int(
                        rng.choice([1, 3, 5, 7, 10, 15, 20, 30], p=[0.05, 0.15, 0.2, 0.15, 0.2, 0.12, 0.08, 0.05])
                    ),
                    popularity=0.0,
                    readiness=0.0,
                    start=start,
                    end=end,
                    level3_from=None,
                    level4_from=None,
                )
            )

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


def _procedure_names(rng: np.random.Generator, level: str, field_name: str, count: int) -> list[str]:
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
    for p in sorted(movable, key=lambda p: (p.readiness, p.index), reverse=True)[: max(excess, 0)]:
        p.level3_from = after[0]
        if p.level4_from is not None and p.level4_from <= after[0]:
            p.level4_from = after[1]
    missing = LEVEL3_ON_CALIBRATION_DAY - len(_level3_on(procedures, day))
    if missing > 0:
        waiting = [
            p for p in procedures if p.in_force(day) and p.end is None and p.start < before[0] and p.level_on(day) == 2
        ]
        for p in sorted(waiting, key=lambda p: (p.readiness, p.index))[:missing]:
            p.level3_from = before[-1]
    found = len(_level3_on(procedures, day))
    if found != LEVEL3_ON_CALIBRATION_DAY:
        raise AssertionError(f"catalogue calibration failed: {found} level-3 procedures")
