"""The domain's fixed vocabulary: unit levels, rating levels, channels, dossier statuses.

Codes are what the database stores; labels are what users read (Vietnamese first).
"""

from __future__ import annotations
from i18n.text import pick

# Unit levels. Nothing may assume exactly three tiers: since July 2025 a city has
# wards directly under it, so code walks the parent links instead of counting levels.
CITY, DISTRICT, WARD, DEPARTMENT = "city", "district", "ward", "department"
UNIT_LEVELS = {
    CITY: ("Thành phố", "City"),
    DISTRICT: ("Quận/huyện", "District"),
    WARD: ("Phường/xã", "Ward/commune"),
    DEPARTMENT: ("Sở, ban, ngành", "City department"),
}

# Rating levels on HCMC devices (4-level scale). Stored as small integers.
VERY_SATISFIED, SATISFIED, NEUTRAL, DISSATISFIED = 1, 2, 3, 4
RATING_LEVELS = {
    VERY_SATISFIED: ("Rất hài lòng", "Very satisfied"),
    SATISFIED: ("Hài lòng", "Satisfied"),
    NEUTRAL: ("Bình thường", "Neutral"),
    DISSATISFIED: ("Không hài lòng", "Dissatisfied"),
}
# Some provincial forms use three levels (no neutral). The mapping onto the
# 4-level scale is explicit: their "satisfied" is our SATISFIED, and so on.
THREE_LEVEL_SCALE = {1: SATISFIED, 2: NEUTRAL, 3: DISSATISFIED}

RATING_CHANNELS = {
    "kiosk": ("Kiosk", "Kiosk"),
    "tablet": ("Máy tính bảng", "Tablet"),
    "web": ("Cổng dịch vụ công", "Web portal"),
    "app": ("Ứng dụng di động", "Mobile app"),
    "sms": ("Tin nhắn SMS", "SMS"),
}

# Dossier channels as synced to the national portal.
IN_PERSON, ONLINE, POSTAL = 1, 2, 3
DOSSIER_CHANNELS = {
    IN_PERSON: ("Trực tiếp", "In person"),
    ONLINE: ("Trực tuyến", "Online"),
    POSTAL: ("Bưu chính công ích", "Public postal"),
}

# National dossier status codes (DOMAIN.md).
DOSSIER_STATUSES = {
    1: ("Mới đăng ký", "Newly registered"),
    2: ("Được tiếp nhận", "Accepted"),
    3: ("Không được tiếp nhận", "Not accepted"),
    4: ("Đang xử lý", "In process"),
    5: ("Yêu cầu bổ sung giấy tờ", "Supplement requested"),
    6: ("Yêu cầu thực hiện nghĩa vụ tài chính", "Payment of fees requested"),
    7: ("Công dân yêu cầu rút hồ sơ", "Withdrawn by the citizen"),
    8: ("Dừng xử lý", "Processing stopped"),
    9: ("Đã xử lý xong", "Processed"),
    10: ("Đã trả kết quả", "Result returned"),
}
FINISHED_STATUSES = (9, 10)
# Dossiers that left the process without a result: neither open nor finished.
CLOSED_WITHOUT_RESULT = (3, 7, 8)
OPEN_STATUSES = (1, 2, 4, 5, 6)
# Received means accepted: not yet accepted (1) and refused (3) count in no dossier figure.
NOT_RECEIVED = (1, 3)
# Withdrawn and stopped: received, then left the backlog on the day their status changed.
LEFT_WITHOUT_RESULT = (7, 8)


def label(table: dict, code, lang: str = "vi") -> str:
    """The label of a code in one of the tables above, in the user's language."""
    vi, en = table[code]
    return pick(lang, vi, en)


# Open dossiers at the end of a day (a snapshot, so summed over units, never over days);
# the backlog_daily columns (data_access/schema.py).
BACKLOG_COUNTS = ("open_dossiers", "open_overdue")
