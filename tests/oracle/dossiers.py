"""Dossier facts (kpis.md, "Dossier facts"): one per `MaHoSo`, from the deduplicated events."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from tests.oracle.raw import Row

RECEIVED, NOT_ACCEPTED, SUPPLEMENT, WITHDRAWN, STOPPED, PROCESSED, RETURNED = 2, 3, 5, 7, 8, 9, 10


@dataclass(frozen=True)
class Dossier:
    code: str
    received_at: datetime | None
    channel: int
    agency: str
    procedure: str
    due_at: datetime | None
    supplement_requests: int
    finished_at: datetime | None
    on_time: bool
    result_by_post: bool
    paid_online: bool
    withdrawn_at: datetime | None
    event_times: tuple[datetime, ...]  # every valid event's ThoiDiem (which periods it has data in)


def _first_time(events: list[Row], *statuses: int) -> datetime | None:
    return next((e["ThoiDiem"] for e in events if e["TrangThaiHoSo"] in statuses), None)


def dossier_facts(code: str, events: Iterable[Row]) -> Dossier:
    """Facts of one dossier from all of its (deduplicated) events, whatever their year."""
    # "Earliest" / "last": order by (ThoiDiem, TrangThaiHoSo).
    ordered = sorted(events, key=lambda e: (e["ThoiDiem"], e["TrangThaiHoSo"]))
    first = ordered[0]
    received = [e for e in ordered if e["TrangThaiHoSo"] == RECEIVED]
    withdrawn_at = _first_time(ordered, WITHDRAWN)
    if withdrawn_at is not None:
        finished_at = None  # a withdrawn dossier is never finished
    else:
        finished_at = _first_time(ordered, PROCESSED) or _first_time(ordered, RETURNED)
        if finished_at is None:
            finished_at = _first_time(ordered, STOPPED, NOT_ACCEPTED)  # the earliest of the two
    due_at = next((e["NgayHenTra"] for e in ordered if e["NgayHenTra"] is not None), None)
    supplement_requests = sum(1 for e in ordered if e["TrangThaiHoSo"] == SUPPLEMENT)
    with_return = [e for e in ordered if e["HinhThucTra"] is not None]
    return Dossier(
        code=code,
        received_at=received[0]["ThoiDiem"] if received else None,
        channel=first["KenhThucHien"],
        agency=(received[0] if received else first)["MaDonVi"],
        procedure=first["MaTTHC"],
        due_at=due_at,
        supplement_requests=supplement_requests,
        finished_at=finished_at,
        on_time=(finished_at is not None and due_at is not None and supplement_requests <= 1 and finished_at <= due_at),
        result_by_post=bool(with_return) and with_return[-1]["HinhThucTra"] == 1,
        paid_online=any(e["DuocThanhToanTrucTuyen"] in (1, 2) for e in ordered),
        withdrawn_at=withdrawn_at,
        event_times=tuple(e["ThoiDiem"] for e in ordered),
    )


def all_dossiers(events: Iterable[Row]) -> dict[str, Dossier]:
    """Every dossier with at least one valid event, received or not."""
    by_code: dict[str, list[Row]] = defaultdict(list)
    for event in events:
        by_code[event["MaHoSo"]].append(event)
    return {code: dossier_facts(code, rows) for code, rows in by_code.items()}
