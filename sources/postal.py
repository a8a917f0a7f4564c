"""``postal/`` — the public postal service's shipment exports (dịch vụ bưu chính công ích):
one row per shipment, CSV or xlsx. docs/landing-files.md describes the format."""

from __future__ import annotations

from sources.contract import (
    EARLIEST_EVENT,
    NOW,
    Entity,
    Field,
    Freshness,
    RawRule,
    Source,
    between,
    matches,
    not_before,
)
from sources.portal import DOSSIER_CODE_REGEX

SERVICES = ("Chuyển phát hồ sơ", "Chuyển trả kết quả")
STATUSES = ("Phát thành công", "Phát không thành công", "Chuyển hoàn", "Đang vận chuyển")
# Two capital letters, nine digits, VN.
WAYBILL_REGEX = r"^[A-Z]{2}[0-9]{9}VN$"

SHIPMENTS = Entity(
    name="shipments",
    formats=(".csv", ".xlsx"),
    marker="Mã bưu gửi",
    fields=(
        Field("Mã bưu gửi", required=True),
        Field("Mã hồ sơ"),
        Field("Loại dịch vụ", required=True, allowed=SERVICES),
        Field("Mã đơn vị", required=True),
        Field("Ngày chấp nhận", "ts_vn", required=True),
        Field("Ngày phát", "ts_vn"),
        Field("Trạng thái", required=True, allowed=STATUSES),
        Field("Cước (VNĐ)", "int_thousands"),
    ),
)

POSTAL = Source(
    token="postal",
    description="public postal service shipments",
    entities=(SHIPMENTS,),
    freshness=Freshness("shipments", "Ngày chấp nhận", max_age_days=35),
    raw_rules=(
        RawRule(
            name="waybill_pattern",
            rule=f"Mã bưu gửi is a waybill number ({WAYBILL_REGEX})",
            entity="shipments",
            expectations=(matches("Mã bưu gửi", WAYBILL_REGEX),),
        ),
        RawRule(
            name="dossier_code_pattern",
            rule=f"Mã hồ sơ, when given, looks like a dossier code ({DOSSIER_CODE_REGEX})",
            entity="shipments",
            expectations=(matches("Mã hồ sơ", DOSSIER_CODE_REGEX),),
        ),
        RawRule(
            name="dates_plausible",
            rule=f"Ngày chấp nhận and Ngày phát between {EARLIEST_EVENT:%Y-%m-%d} and now",
            entity="shipments",
            expectations=(between("Ngày chấp nhận", EARLIEST_EVENT, NOW), between("Ngày phát", EARLIEST_EVENT, NOW)),
        ),
        RawRule(
            name="delivered_not_before_accepted",
            rule="Ngày phát is not earlier than Ngày chấp nhận",
            entity="shipments",
            expectations=(not_before("Ngày phát", "Ngày chấp nhận"),),
        ),
        RawRule(
            name="postage_not_negative",
            rule="Cước (VNĐ) is not negative",
            entity="shipments",
            expectations=(between("Cước (VNĐ)", 0),),
        ),
    ),
)
