"""Realistic demo data: Ho Chi Minh City's units, ratings and dossiers.

    python -m data_access.demo [--size small|default|city] [--seed 42]
                               [--start 2021-01-01] [--end YYYY-MM-DD] [--url DB_URL] [--migrate]
                               [--step-months N|all]

`generate(engine, ...)` writes dimensions (units, fields, procedures, officers, targets)
and facts (dossiers, ratings) into an empty database at the current schema. It does not
refresh summary tables (data_access/refresh.py does, afterwards) and leaves unit_lineage
empty.

Model, in short (every draw from a seeded numpy Generator; vectorised, chunked by months):
- Geography: the 22 districts / 273 wards of HCMC (GSO codes, centroids) from the
  `vietnamadminunits` package, plus 15 city departments ("79.STP"...). Ward volume weights
  are lognormal (two orders of magnitude; tiny communes in Cần Giờ); districts' one-stop
  shops and departments receive dossiers too.
- Calendar: counters work Monday-Friday 7:30-11:30 and 13:00-17:00 and Saturday morning;
  closed on Sundays and public holidays (Tết week, 1/1, 30/4, 1/5, 2/9). Online dossiers
  arrive at any hour, any day. Volume: busier weeks before Tết, near zero in Tết week,
  the HCMC lockdown of July-September 2021, mild seasonality, +6 %/year growth.
- `size` fixes the total number of dossiers (and about as many ratings) over the range:
  small 20k, default 1M, city 10M.
- Satisfaction per rating channel is calibrated to HCMC's published 2019 figures
  (kiosk/tablet 99.24 / 0.59 / 0.17 %, web 94.95 / 4.67 / 0.37 %; the web figures sum to
  99.99 %, the remaining 0.01 % is added to "dissatisfied", i.e. 0.38 %). App and SMS
  ratings use the web calibration. Weak wards, incidents, late dossiers and repeated
  supplement requests raise the odds of neutral/dissatisfied; within each channel class
  the odds are renormalised per chunk so city-level shares keep the published figures.
- Processing steps (data_access/demo_steps.py) for every dossier of the small and city
  demos; the default demo gives them to the last 3 months' dossiers and every open one
  (its first start stays within budget); `--step-months` changes that.
- Truth for tests: `incidents(seed, start, end)` lists the weak wards and the incidents
  (ward, months, kind) that `generate` plants with the same seed and range.
"""

from __future__ import annotations

import argparse
import calendar
import contextlib
import functools
import importlib.util
import sqlite3
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import func, inspect, select
from sqlalchemy.engine import Engine

from data_access import schema
from data_access.bulk import bulk_insert, drop_secondary_indexes
from data_access.demo_steps import make_steps
from domain import timeliness, vocab
from i18n.format import fmt_int

SIZES = {"small": 20_000, "default": 1_000_000, "city": 10_000_000}
DEFAULT_START = date(2021, 1, 1)
CITY_CODE, CITY_NAME = "79", "Thành phố Hồ Chí Minh"
MAX_CHUNK_DOSSIERS = 250_000

# Tết (first day of the Lunar New Year).
TET = {
    2019: "2019-02-05", 2020: "2020-01-25", 2021: "2021-02-12", 2022: "2022-02-01",
    2023: "2023-01-22", 2024: "2024-02-10", 2025: "2025-01-29", 2026: "2026-02-17",
    2027: "2027-02-06", 2028: "2028-01-26",
}
FIXED_HOLIDAYS = ("01-01", "04-30", "05-01", "09-02")
COVID_LOCKDOWN = ("2021-07-09", "2021-09-30")  # HCMC's strict social distancing

# Online share of dossiers (weekday volume), by year (interpolated mid-year).
ONLINE_SHARE = {2019: 0.10, 2020: 0.15, 2021: 0.25, 2022: 0.35, 2023: 0.45, 2024: 0.55,
                2025: 0.64, 2026: 0.70, 2027: 0.74, 2028: 0.77}
DIGITISED_SHARE = {2019: 0.05, 2020: 0.08, 2021: 0.15, 2022: 0.30, 2023: 0.45, 2024: 0.60,
                   2025: 0.75, 2026: 0.85, 2027: 0.90, 2028: 0.92}
PAID_ONLINE_SHARE = {2019: 0.05, 2020: 0.08, 2021: 0.15, 2022: 0.25, 2023: 0.35, 2024: 0.45,
                     2025: 0.60, 2026: 0.68, 2027: 0.72, 2028: 0.75}
# Online results delivered electronically (else picked up at the counter).
ELECTRONIC_RETURN_SHARE = {2019: 0.05, 2020: 0.10, 2021: 0.15, 2022: 0.25, 2023: 0.35,
                           2024: 0.45, 2025: 0.55, 2026: 0.60, 2027: 0.65, 2028: 0.70}
ACCEPTED_LATE_SHARE = {2019: 0.16, 2020: 0.15, 2021: 0.14, 2022: 0.12, 2023: 0.11, 2024: 0.10,
                       2025: 0.089, 2026: 0.085, 2027: 0.08, 2028: 0.08}

# Rating calibration: (very satisfied + satisfied, neutral, dissatisfied) per channel class.
CALIBRATION = {
    "counter": (0.9924, 0.0059, 0.0017),  # kiosk / tablet, HCMC 2019
    "remote": (0.9495, 0.0467, 0.0038),  # web (0.37 % + the 0.01 % remainder), app, SMS
}
VERY_SATISFIED_SHARE = {"counter": 0.74, "remote": 0.58}  # of the satisfied
COUNTER_CHANNELS = ("kiosk", "tablet")

DEPARTMENTS = [
    # code suffix, name, share of department volume
    ("STP", "Sở Tư pháp", 10),
    ("SXD", "Sở Xây dựng", 6),
    ("STNMT", "Sở Tài nguyên và Môi trường", 8),
    ("SKHDT", "Sở Kế hoạch và Đầu tư", 16),
    ("SLDTBXH", "Sở Lao động - Thương binh và Xã hội", 8),
    ("SYT", "Sở Y tế", 6),
    ("SGDDT", "Sở Giáo dục và Đào tạo", 4),
    ("SGTVT", "Sở Giao thông vận tải", 22),
    ("SCT", "Sở Công Thương", 5),
    ("SNV", "Sở Nội vụ", 2),
    ("STC", "Sở Tài chính", 2),
    ("SVHTT", "Sở Văn hóa và Thể thao", 3),
    ("SDL", "Sở Du lịch", 2),
    ("STTTT", "Sở Thông tin và Truyền thông", 2),
    ("SNNPTNT", "Sở Nông nghiệp và Phát triển nông thôn", 4),
]

# code, Vietnamese, English, late probability, P(one supplement), P(two or more), officer group
FIELDS = [
    ("HT", "Hộ tịch", "Civil status", 0.003, 0.05, 0.002, "tp"),
    ("CT", "Chứng thực", "Certification", 0.001, 0.01, 0.0005, "tp"),
    ("DD", "Đất đai", "Land", 0.065, 0.15, 0.025, "dc"),
    ("XD", "Xây dựng", "Construction", 0.055, 0.14, 0.02, "dc"),
    ("DKKD", "Đăng ký kinh doanh", "Business registration", 0.005, 0.08, 0.003, "kt"),
    ("LDTBXH", "Lao động - Thương binh và Xã hội", "Labour, invalids and social affairs", 0.01, 0.07, 0.004, "xh"),
    ("TP", "Tư pháp", "Justice", 0.01, 0.04, 0.002, "tp"),
    ("GD", "Giáo dục và Đào tạo", "Education and training", 0.006, 0.05, 0.002, "xh"),
    ("YT", "Y tế", "Health", 0.012, 0.08, 0.004, "xh"),
    ("GT", "Giao thông vận tải", "Transport", 0.004, 0.03, 0.001, "dc"),
    ("VH", "Văn hóa, thể thao và du lịch", "Culture, sports and tourism", 0.006, 0.05, 0.002, "xh"),
    ("TNMT", "Tài nguyên và môi trường", "Natural resources and environment", 0.03, 0.10, 0.01, "dc"),
    ("CTH", "Công thương", "Industry and trade", 0.01, 0.06, 0.003, "kt"),
    ("NV", "Nội vụ", "Home affairs", 0.02, 0.06, 0.003, "kt"),
    ("TTTT", "Thông tin và truyền thông", "Information and communications", 0.006, 0.05, 0.002, "kt"),
    ("NN", "Nông nghiệp", "Agriculture", 0.01, 0.06, 0.003, "kt"),
]

# name, field, legal working days (0: same day), level, volume weight, online affinity, has fee, department
PROCEDURES = [
    # ward / commune
    ("Đăng ký khai sinh", "HT", 1, "ward", 10, 1.0, False, None),
    ("Đăng ký kết hôn", "HT", 3, "ward", 4, 0.8, False, None),
    ("Đăng ký khai tử", "HT", 1, "ward", 3, 0.8, False, None),
    ("Cấp bản sao trích lục hộ tịch", "HT", 1, "ward", 8, 1.2, True, None),
    ("Cấp Giấy xác nhận tình trạng hôn nhân", "HT", 3, "ward", 8, 1.2, True, None),
    ("Đăng ký nhận cha, mẹ, con", "HT", 3, "ward", 0.8, 0.6, True, None),
    ("Đăng ký thay đổi, cải chính, bổ sung thông tin hộ tịch", "HT", 3, "ward", 2, 0.8, True, None),
    ("Đăng ký giám hộ", "HT", 3, "ward", 0.3, 0.5, False, None),
    ("Chứng thực bản sao từ bản chính", "CT", 0, "ward", 30, 0.35, True, None),
    ("Chứng thực chữ ký trong các giấy tờ, văn bản", "CT", 0, "ward", 6, 0.3, True, None),
    ("Chứng thực hợp đồng, giao dịch liên quan đến tài sản là động sản", "CT", 2, "ward", 2, 0.2, True, None),
    ("Đăng ký hưởng trợ cấp xã hội hằng tháng", "LDTBXH", 7, "ward", 1.5, 0.6, False, None),
    ("Hỗ trợ chi phí mai táng cho đối tượng bảo trợ xã hội", "LDTBXH", 5, "ward", 0.5, 0.4, False, None),
    ("Xác nhận hộ gia đình làm nông nghiệp có mức sống trung bình", "LDTBXH", 5, "ward", 0.5, 0.5, False, None),
    ("Hòa giải tranh chấp đất đai", "DD", 45, "ward", 0.8, 0.2, False, None),
    ("Thông báo tổ chức lễ hội", "VH", 5, "ward", 0.2, 0.8, False, None),
    ("Cho phép nhóm trẻ, lớp mẫu giáo độc lập hoạt động", "GD", 15, "ward", 0.2, 0.7, False, None),
    # district one-stop shop
    ("Đăng ký biến động quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất", "DD", 10, "district", 14, 0.9, True, None),
    ("Cấp Giấy chứng nhận quyền sử dụng đất lần đầu", "DD", 30, "district", 5, 0.6, True, None),
    ("Chuyển mục đích sử dụng đất", "DD", 15, "district", 3, 0.7, True, None),
    ("Tách thửa, hợp thửa đất", "DD", 15, "district", 4, 0.8, True, None),
    ("Cấp đổi Giấy chứng nhận quyền sử dụng đất", "DD", 7, "district", 5, 0.9, True, None),
    ("Đính chính Giấy chứng nhận đã cấp", "DD", 10, "district", 2, 0.8, False, None),
    ("Cấp giấy phép xây dựng nhà ở riêng lẻ", "XD", 15, "district", 10, 1.0, True, None),
    ("Điều chỉnh giấy phép xây dựng nhà ở riêng lẻ", "XD", 10, "district", 2, 1.0, True, None),
    ("Cấp giấy phép sửa chữa, cải tạo công trình", "XD", 15, "district", 3, 1.0, True, None),
    ("Gia hạn giấy phép xây dựng", "XD", 5, "district", 1, 1.0, True, None),
    ("Đăng ký thành lập hộ kinh doanh", "DKKD", 3, "district", 10, 1.4, True, None),
    ("Đăng ký thay đổi nội dung đăng ký hộ kinh doanh", "DKKD", 3, "district", 6, 1.4, True, None),
    ("Thông báo tạm ngừng kinh doanh, tiếp tục kinh doanh của hộ kinh doanh", "DKKD", 3, "district", 3, 1.5, False, None),
    ("Đăng ký khai sinh có yếu tố nước ngoài", "HT", 5, "district", 1, 0.6, True, None),
    ("Đăng ký kết hôn có yếu tố nước ngoài", "HT", 15, "district", 1, 0.5, True, None),
    ("Chứng thực bản sao từ bản chính giấy tờ do cơ quan nước ngoài cấp", "CT", 0, "district", 6, 0.3, True, None),
    ("Chứng thực chữ ký người dịch", "CT", 0, "district", 4, 0.3, True, None),
    ("Giải quyết chế độ trợ cấp đối với người có công với cách mạng", "LDTBXH", 20, "district", 2, 0.5, False, None),
    ("Chuyển trường đối với học sinh trung học cơ sở", "GD", 3, "district", 2, 1.2, False, None),
    ("Cấp Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm", "YT", 20, "district", 2, 1.0, True, None),
    ("Cấp giấy phép bán lẻ sản phẩm rượu", "CTH", 10, "district", 1.5, 1.2, True, None),
    ("Cấp giấy phép kinh doanh dịch vụ karaoke", "VH", 5, "district", 0.8, 1.0, True, None),
    ("Xác nhận đăng ký kế hoạch bảo vệ môi trường", "TNMT", 10, "district", 1.5, 1.0, False, None),
    # city departments
    ("Cấp Phiếu lý lịch tư pháp", "TP", 10, "department", 20, 1.5, True, "STP"),
    ("Đăng ký hoạt động Văn phòng công chứng", "TP", 10, "department", 0.5, 0.8, True, "STP"),
    ("Cấp chứng chỉ hành nghề hoạt động xây dựng", "XD", 20, "department", 4, 1.2, True, "SXD"),
    ("Cấp giấy phép xây dựng công trình", "XD", 20, "department", 2, 0.8, True, "SXD"),
    ("Cấp giấy phép môi trường", "TNMT", 30, "department", 2, 0.8, True, "STNMT"),
    ("Cấp giấy phép khai thác, sử dụng nước dưới đất", "TNMT", 30, "department", 1, 0.8, True, "STNMT"),
    ("Cấp Giấy chứng nhận quyền sử dụng đất cho tổ chức", "DD", 20, "department", 3, 0.6, True, "STNMT"),
    ("Đăng ký thành lập doanh nghiệp", "DKKD", 3, "department", 10, 3.0, True, "SKHDT"),
    ("Đăng ký thay đổi nội dung đăng ký doanh nghiệp", "DKKD", 3, "department", 12, 3.0, True, "SKHDT"),
    ("Cấp giấy phép lao động cho người lao động nước ngoài", "LDTBXH", 5, "department", 5, 2.0, True, "SLDTBXH"),
    ("Đăng ký nội quy lao động", "LDTBXH", 7, "department", 2, 1.5, False, "SLDTBXH"),
    ("Cấp chứng chỉ hành nghề khám bệnh, chữa bệnh", "YT", 30, "department", 3, 1.0, True, "SYT"),
    ("Cấp giấy phép hoạt động phòng khám chuyên khoa", "YT", 30, "department", 1.5, 0.8, True, "SYT"),
    ("Công nhận văn bằng do cơ sở giáo dục nước ngoài cấp", "GD", 20, "department", 2, 1.5, True, "SGDDT"),
    ("Cấp đổi giấy phép lái xe", "GT", 5, "department", 30, 1.2, True, "SGTVT"),
    ("Cấp giấy phép lái xe quốc tế", "GT", 5, "department", 4, 1.5, True, "SGTVT"),
    ("Cấp giấy phép kinh doanh bán buôn sản phẩm rượu", "CTH", 15, "department", 2, 1.5, True, "SCT"),
    ("Cấp Giấy chứng nhận cửa hàng đủ điều kiện bán lẻ xăng dầu", "CTH", 15, "department", 1, 1.2, True, "SCT"),
    ("Công nhận ban vận động thành lập hội", "NV", 30, "department", 1, 0.8, False, "SNV"),
    ("Đăng ký mã số đơn vị có quan hệ với ngân sách", "NV", 2, "department", 1, 2.0, False, "STC"),
    ("Cấp giấy phép tổ chức biểu diễn nghệ thuật", "VH", 5, "department", 2, 1.5, True, "SVHTT"),
    ("Cấp thẻ hướng dẫn viên du lịch", "VH", 10, "department", 2, 1.5, True, "SDL"),
    ("Cấp giấy phép xuất bản bản tin", "TTTT", 10, "department", 1, 1.5, True, "STTTT"),
    ("Cấp Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm nông lâm thủy sản", "NN", 15, "department", 2, 1.0, True, "SNNPTNT"),
]

LEVEL_PREFIX = {"ward": "X", "district": "H", "department": "T"}

# Officer titles by unit level and working group (group decides which fields they handle).
TITLES = {
    ("ward", "tp"): "Công chức Tư pháp - Hộ tịch",
    ("ward", "dc"): "Công chức Địa chính - Xây dựng",
    ("ward", "xh"): "Công chức Văn hóa - Xã hội",
    ("ward", "kt"): "Công chức Văn phòng - Thống kê",
    ("district", "tp"): "Chuyên viên Phòng Tư pháp",
    ("district", "dc"): "Chuyên viên Văn phòng Đăng ký đất đai",
    ("district", "xh"): "Chuyên viên Phòng Lao động - Thương binh và Xã hội",
    ("district", "kt"): "Chuyên viên Phòng Kinh tế",
    ("department", "tp"): "Chuyên viên",
    ("department", "dc"): "Chuyên viên chính",
    ("department", "xh"): "Chuyên viên",
    ("department", "kt"): "Chuyên viên Bộ phận một cửa",
}
GROUPS = ("tp", "dc", "xh", "kt")

FAMILY_NAMES = [
    ("Nguyễn", 38), ("Trần", 11), ("Lê", 9.5), ("Phạm", 7), ("Huỳnh", 4), ("Hoàng", 1.5),
    ("Phan", 4.5), ("Võ", 4), ("Trương", 2), ("Đặng", 2), ("Bùi", 2), ("Đỗ", 1.4), ("Hồ", 1.3),
    ("Ngô", 1.3), ("Dương", 1), ("Lý", 0.6), ("Đinh", 0.8), ("Lâm", 0.8), ("Mai", 0.5),
    ("Tô", 0.3), ("Châu", 0.4), ("Tạ", 0.3), ("Quách", 0.2),
]
MIDDLE_MALE = ["Văn", "Hữu", "Đức", "Minh", "Quốc", "Thanh", "Hoàng", "Công", "Tấn", "Trọng", "Anh", "Ngọc"]
MIDDLE_FEMALE = ["Thị", "Ngọc", "Thanh", "Thu", "Kim", "Minh", "Phương", "Mỹ", "Bích", "Thùy", "Hoài", "Diễm"]
GIVEN_MALE = ["Anh", "Bảo", "Bình", "Cường", "Dũng", "Duy", "Đạt", "Hải", "Hiếu", "Hoàng", "Hùng", "Huy",
              "Khang", "Khoa", "Long", "Lộc", "Minh", "Nam", "Nghĩa", "Phong", "Phúc", "Quang", "Sơn",
              "Tài", "Thắng", "Thành", "Thịnh", "Tiến", "Trung", "Tuấn", "Tùng", "Việt", "Vinh", "Vũ"]
GIVEN_FEMALE = ["An", "Anh", "Châu", "Chi", "Diệp", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hiền", "Hoa",
                "Hồng", "Hương", "Lan", "Linh", "Loan", "Mai", "My", "Ngân", "Nhung", "Oanh", "Phương",
                "Quyên", "Tâm", "Thảo", "Trang", "Trâm", "Tuyết", "Uyên", "Vy", "Yến"]

REASONS = [
    "Thời gian chờ đợi lâu",
    "Cán bộ hướng dẫn chưa rõ ràng",
    "Phải bổ sung hồ sơ nhiều lần",
    "Thái độ phục vụ chưa tốt",
    "Trả kết quả trễ hẹn",
    "Hệ thống lấy số thứ tự bị lỗi",
    "Phí, lệ phí chưa được niêm yết rõ ràng",
    "Khu vực chờ chật hẹp, nóng",
    "Không được hướng dẫn nộp hồ sơ trực tuyến",
    "Cổng dịch vụ công bị lỗi khi nộp hồ sơ",
]
LATE_REASON = "Trả kết quả trễ hẹn"

# Weak wards and incidents.
N_WEAK_WARDS, N_INCIDENTS = 5, 5
WEAK_SAT_MULT, INCIDENT_SAT_MULT, LATE_SAT_MULT, MULTI_SUPPLEMENT_SAT_MULT = 3.5, 8.0, 3.0, 2.0
WEAK_LATE_MULT, WEAK_LATE_FLOOR, INCIDENT_LATE_FLOOR = 4.0, 0.03, 0.15
REMOTE_DAMPING = 0.35
STUCK_SHARE = 0.12  # of late dossiers: stuck for weeks or months

US_PER_MIN = 60_000_000
US_PER_HOUR = 60 * US_PER_MIN
WEEKMASK_DUE = "1111100"  # legal working days: Monday-Friday
WEEKMASK_WORK = "1111110"  # counters also open on Saturday mornings


class DemoDataError(RuntimeError):
    """The demo data cannot be written (e.g. the database already holds units)."""


@dataclass(frozen=True)
class Anomaly:
    """A planted, true difference the dashboard should find."""

    unit_code: str
    unit_name: str
    kind: str  # "weak_ward" (all months) | "satisfaction_drop" | "timeliness_drop" | "both"
    months: tuple[date, ...]  # first day of each affected month

    @property
    def affects_satisfaction(self) -> bool:
        return self.kind in ("weak_ward", "satisfaction_drop", "both")

    @property
    def affects_timeliness(self) -> bool:
        return self.kind in ("weak_ward", "timeliness_drop", "both")


# --- calendar ---------------------------------------------------------------------------


def default_end(today: date | None = None) -> date:
    """The last day of the last complete month before today."""
    today = today or date.today()
    return today.replace(day=1) - timedelta(days=1)


def _months(start: date, end: date) -> list[date]:
    first = date(start.year, start.month, 1)
    months = []
    while first <= end:
        months.append(first)
        first = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return months


def last_complete_month(end: date) -> date:
    """The month the overview calls "latest": end's month if end is its last day, else the one before."""
    if end.day == calendar.monthrange(end.year, end.month)[1]:
        return date(end.year, end.month, 1)
    previous = date(end.year, end.month, 1) - timedelta(days=1)
    return date(previous.year, previous.month, 1)


def _weekday(days: np.ndarray) -> np.ndarray:
    """Monday = 0 ... Sunday = 6."""
    return (days.astype("datetime64[D]").astype(np.int64) + 3) % 7


def tet_days(year: int) -> np.ndarray:
    """The public holiday around Tết: the eve before to the 5th day."""
    first = np.datetime64(TET[year], "D")
    return first + np.arange(-1, 5)


def holidays(start: date, end: date) -> np.ndarray:
    days = []
    for year in range(start.year - 1, end.year + 2):
        if year in TET:
            days.extend(tet_days(year))
        days.extend(np.datetime64(f"{year}-{md}", "D") for md in FIXED_HOLIDAYS)
    return np.unique(np.array(days, dtype="datetime64[D]"))


def _by_year(table: dict[int, float], days: np.ndarray) -> np.ndarray:
    """Yearly anchors (at mid-year) interpolated over days."""
    years = np.array(sorted(table), dtype=float)
    values = np.array([table[int(y)] for y in years])
    frac_year = 1970 + days.astype("datetime64[D]").astype(np.int64) / 365.2425
    return np.interp(frac_year, years + 0.5, values)


def _day_factors(days: np.ndarray, hol: np.ndarray, rng: np.random.Generator):
    """Expected relative dossier volume per day for counter channels and for online."""
    n = len(days)
    weekday = _weekday(days)
    is_hol = np.isin(days, hol)
    years = days.astype("datetime64[Y]").astype(np.int64) + 1970
    months = days.astype("datetime64[M]").astype(np.int64) % 12
    season = np.array([1.05, 0.92, 1.0, 0.98, 1.0, 1.02, 1.06, 1.05, 0.98, 1.0, 1.02, 1.10])[months]
    base = (1 + 0.06 * (years - 2021)) * season * rng.gamma(60, 1 / 60, n)
    tet_factor = np.ones(n)
    for year in np.unique(years):
        for y in (year, year + 1):
            if y not in TET:
                continue
            first = np.datetime64(TET[int(y)], "D")
            offset = (days - first).astype(np.int64)
            tet_factor = np.where((offset >= -21) & (offset <= -3), 1.35, tet_factor)
            tet_factor = np.where((offset >= -2) & (offset <= 6), np.where(offset < -1, 0.5, 0.15), tet_factor)
            tet_factor = np.where((offset >= 7) & (offset <= 13), 0.85, tet_factor)
    covid = np.where((days >= np.datetime64(COVID_LOCKDOWN[0])) & (days <= np.datetime64(COVID_LOCKDOWN[1])), 0.3, 1.0)
    counter_wd = np.array([1.15, 1.05, 1.0, 1.0, 0.95, 0.45, 0.0])[weekday]
    online_wd = np.array([1.1, 1.05, 1.0, 1.0, 0.95, 0.45, 0.3])[weekday]
    counter = base * tet_factor * covid * counter_wd * np.where(is_hol, 0.0, 1.0)
    online = base * tet_factor * covid * online_wd * np.where(is_hol, 0.3, 1.0)
    return counter, online


def _seconds(values_us: np.ndarray) -> np.ndarray:
    """Round int64 microseconds down to whole seconds."""
    return values_us - values_us % 1_000_000


def _counter_times(rng: np.random.Generator, days: np.ndarray, margin_min: float = 10.0) -> np.ndarray:
    """Times during counter hours on the given (working) days; Saturday: morning only.

    `margin_min` keeps the time that far before the end of the session (a rating on the
    kiosk a few minutes later stays within office hours)."""
    n = len(days)
    morning = (_weekday(days) == 5) | (rng.random(n) < 0.6)
    minutes = rng.uniform(0, 240 - margin_min, n)
    start = np.where(morning, 7 * 60 + 30, 13 * 60)
    offset = _seconds(((start + minutes) * US_PER_MIN).astype(np.int64))
    return days.astype("datetime64[D]").astype("datetime64[us]") + offset.astype("timedelta64[us]")


_ONLINE_HOURS = np.array([0.6, 0.3, 0.2, 0.2, 0.3, 0.8, 2, 4, 7, 9, 9, 8, 5, 5, 8, 8, 7, 6, 5, 6, 7, 6, 4, 2])


def _online_times(rng: np.random.Generator, days: np.ndarray) -> np.ndarray:
    n = len(days)
    hours = rng.choice(24, size=n, p=_ONLINE_HOURS / _ONLINE_HOURS.sum())
    offset = _seconds((hours * US_PER_HOUR + rng.uniform(0, US_PER_HOUR, n)).astype(np.int64))
    return days.astype("datetime64[D]").astype("datetime64[us]") + offset.astype("timedelta64[us]")


# --- plan: units, weights, anomalies (depends on the seed only, plus months for incidents) --


@functools.lru_cache(maxsize=1)
def _hcmc_legacy() -> pd.DataFrame:
    """HCMC's 22 districts / 273 wards (pre-July-2025 layout) from vietnamadminunits."""
    # Locate the package's bundled SQLite file without importing it (its parsers load slowly).
    spec = importlib.util.find_spec("vietnamadminunits")
    if spec is None or not spec.submodule_search_locations:
        raise DemoDataError("the vietnamadminunits package is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "dataset.db"
    query = (
        "SELECT districtCode, district, districtLat, districtLon, wardCode, ward, wardLat, wardLon "
        "FROM admin_units_legacy WHERE provinceCode = ? ORDER BY districtCode, wardCode"
    )
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
        frame = pd.read_sql_query(query, connection, params=(CITY_CODE,))
    return frame


@dataclass
class _Plan:
    units: pd.DataFrame  # code, name, level, parent_code, lat, lon, weight (dossier volume share)
    ward_idx: np.ndarray  # positions of wards in units
    weak: np.ndarray  # unit positions
    incident_units: np.ndarray  # unit positions, in incident order
    seed: int


@functools.lru_cache(maxsize=8)
def _plan(seed: int) -> _Plan:
    geo = _hcmc_legacy()
    rng = np.random.default_rng([seed, 1])
    districts = geo.drop_duplicates("districtCode")[["districtCode", "district", "districtLat", "districtLon"]]
    rows = [(CITY_CODE, CITY_NAME, vocab.CITY, None, 10.7769, 106.7009)]
    rows += [(r.districtCode, r.district, vocab.DISTRICT, CITY_CODE, r.districtLat, r.districtLon) for r in districts.itertuples()]
    rows += [(r.wardCode, r.ward, vocab.WARD, r.districtCode, r.wardLat, r.wardLon) for r in geo.itertuples()]
    rows += [(f"{CITY_CODE}.{code}", name, vocab.DEPARTMENT, CITY_CODE, None, None) for code, name, _ in DEPARTMENTS]
    units = pd.DataFrame(rows, columns=["code", "name", "level", "parent_code", "lat", "lon"])
    level = units["level"].to_numpy()
    ward_idx = np.flatnonzero(level == vocab.WARD)
    district_idx = np.flatnonzero(level == vocab.DISTRICT)
    dept_idx = np.flatnonzero(level == vocab.DEPARTMENT)

    # Ward sizes: lognormal, two orders of magnitude; rural outskirts and Cần Giờ small.
    ward_w = rng.lognormal(0.0, 0.8, len(ward_idx))
    parent = units["parent_code"].to_numpy()[ward_idx]
    ward_w = ward_w * np.where(parent == "787", 0.12, 1.0)  # Huyện Cần Giờ
    ward_w = ward_w * np.where(np.isin(parent, ["783", "785", "786"]), 0.8, 1.0)
    names = units["name"].to_numpy()[ward_idx]
    ward_w = ward_w * np.where(names == "Xã Thạnh An", 0.3, 1.0)  # island commune
    ward_w = 0.55 * ward_w / ward_w.sum()
    district_codes = units["code"].to_numpy()[district_idx]
    district_w = np.array([ward_w[parent == code].sum() for code in district_codes]) ** 0.9
    district_w = district_w * rng.lognormal(0, 0.25, len(district_idx))
    district_w = 0.30 * district_w / district_w.sum()
    dept_w = np.array([share for _, _, share in DEPARTMENTS], dtype=float)
    dept_w = 0.15 * dept_w / dept_w.sum()
    weight = np.zeros(len(units))
    weight[ward_idx], weight[district_idx], weight[dept_idx] = ward_w, district_w, dept_w
    units["weight"] = weight

    # Anomalies among the larger wards (top 35 % by volume), so they show in the data.
    rng_a = np.random.default_rng([seed, 2])
    order = ward_idx[np.argsort(-ward_w, kind="stable")]
    candidates = np.sort(order[: int(len(order) * 0.35)])
    picked = rng_a.choice(candidates, size=N_WEAK_WARDS + N_INCIDENTS, replace=False)
    return _Plan(units, ward_idx, picked[:N_WEAK_WARDS], picked[N_WEAK_WARDS:], seed)


def ward_weights(seed: int = 42) -> pd.Series:
    """Relative dossier volume of each ward (share of all dossiers), indexed by ward code."""
    plan = _plan(seed)
    wards = plan.units.iloc[plan.ward_idx]
    return pd.Series(wards["weight"].to_numpy(), index=wards["code"].to_numpy(), name="weight")


def incidents(seed: int = 42, start: date = DEFAULT_START, end: date | None = None) -> list[Anomaly]:
    """The weak wards and incidents `generate` plants for this seed and range (the truth for tests).

    Weak wards: satisfaction clearly lower (about 95-97 %) and on-time lower, every month.
    Incidents: a ward whose service drops for 1-2 months, then recovers: satisfaction falls
    several points ("satisfaction_drop"), on-time falls to about 85 % with a growing overdue
    backlog ("timeliness_drop"), or both. The first incident always covers the latest
    complete month of the range.
    """
    end = end or default_end()
    plan = _plan(seed)
    units = plan.units
    months = _months(start, end)
    latest = last_complete_month(end)
    latest_idx = months.index(latest) if latest in months else len(months) - 1
    rng = np.random.default_rng([seed, 3, len(months), months[0].toordinal()])
    out = [
        Anomaly(units["code"].iat[i], units["name"].iat[i], "weak_ward", tuple(months)) for i in plan.weak
    ]
    kinds = ["both", "satisfaction_drop", "timeliness_drop", "satisfaction_drop", "timeliness_drop"]
    for k, unit in enumerate(plan.incident_units):
        duration = int(rng.integers(1, 3))
        if k == 0:
            first = max(0, latest_idx - duration + 1)
            chosen = months[first : latest_idx + 1]
        else:
            duration = min(duration, len(months))
            first = int(rng.integers(0, len(months) - duration + 1))
            chosen = months[first : first + duration]
        out.append(Anomaly(units["code"].iat[unit], units["name"].iat[unit], kinds[k % len(kinds)], tuple(chosen)))
    return out


# --- dimensions -----------------------------------------------------------------------


def _dimension_frames(plan: _Plan, start: date, end: date, rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    valid_from = min(DEFAULT_START, start)
    units = plan.units[["code", "name", "level", "parent_code", "lat", "lon"]].copy()
    units["valid_from"] = pd.Timestamp(valid_from)
    units["valid_to"] = pd.NaT
    fields = pd.DataFrame([(c, vi, en) for c, vi, en, *_ in FIELDS], columns=["code", "name", "name_en"])
    counters: dict[tuple[str, str], int] = {}
    proc_rows = []
    for name, field, days, level, *_ in PROCEDURES:
        key = (level, field)
        counters[key] = counters.get(key, 0) + 1
        proc_rows.append((f"{LEVEL_PREFIX[level]}.{field}.{counters[key]:02d}", name, field, days, level))
    procedures = pd.DataFrame(proc_rows, columns=["code", "name", "field_code", "legal_days", "level"])

    # Officers: 3-20 per unit depending on its size; groups cover every field family.
    weight = plan.units["weight"].to_numpy()
    level = plan.units["level"].to_numpy()
    rel = np.zeros(len(weight))
    for lev in (vocab.WARD, vocab.DISTRICT, vocab.DEPARTMENT):
        mask = level == lev
        rel[mask] = weight[mask] / weight[mask].max()
    n_officers = np.clip(np.round(3 + 17 * np.sqrt(rel)), 3, 20).astype(int)
    n_officers = np.where(level == vocab.DISTRICT, np.maximum(n_officers, 8), n_officers)
    n_officers = np.where(level == vocab.DEPARTMENT, np.maximum(n_officers, 6), n_officers)
    n_officers = np.where(level == vocab.CITY, 0, n_officers)
    family_names = [f for f, _ in FAMILY_NAMES]
    family_p = np.array([w for _, w in FAMILY_NAMES], dtype=float)
    family_p /= family_p.sum()
    rows = []
    codes = plan.units["code"].to_numpy()
    for u in np.flatnonzero(n_officers):
        lev = level[u]
        groups = ("tp", "dc", "xh") if lev == vocab.WARD else GROUPS
        for k in range(n_officers[u]):
            group = groups[k % len(groups)] if k < 2 * len(groups) else groups[int(rng.integers(len(groups)))]
            female = rng.random() < 0.55
            family = family_names[rng.choice(len(family_names), p=family_p)]
            middle = (MIDDLE_FEMALE if female else MIDDLE_MALE)[rng.integers(12)]
            given_list = GIVEN_FEMALE if female else GIVEN_MALE
            given = given_list[rng.integers(len(given_list))]
            title = TITLES[(lev, group)]
            if lev == vocab.WARD and k == 0:
                title = "Phó Chủ tịch UBND " + ("xã" if plan.units["name"].iat[u].startswith("Xã") else
                                                "thị trấn" if plan.units["name"].iat[u].startswith("Thị trấn") else "phường")
            rows.append((f"{codes[u]}.CB{k + 1:02d}", f"{family} {middle} {given}", codes[u], title, group, u))
    officers = pd.DataFrame(rows, columns=["code", "full_name", "unit_code", "title", "group", "unit_pos"])

    target_rows = []
    online_targets = {2019: 0.20, 2020: 0.25, 2021: 0.30, 2022: 0.40, 2023: 0.50, 2024: 0.60,
                      2025: 0.70, 2026: 0.80, 2027: 0.85, 2028: 0.90}
    for year in range(start.year, end.year + 1):
        y0, y1 = pd.Timestamp(year, 1, 1), pd.Timestamp(year, 12, 31)
        target_rows += [
            # The city's 2026 targets: satisfaction >= 96 %, on time >= 98 %, >= 80 % online.
            ("satisfaction_rate", None, y0, y1, 0.96 if year >= 2026 else 0.98, 0.01),
            ("on_time_rate", None, y0, y1, 0.98, 0.01),
            ("online_share", None, y0, y1, online_targets.get(year, 0.9), 0.05),
            ("apology_compliance", None, y0, y1, 1.0, 0.05),
            ("dissatisfaction_rate", None, y0, y1, 0.005, 0.0025),  # a ceiling: lower is better
        ]
    targets = pd.DataFrame(target_rows, columns=["kpi_id", "unit_code", "valid_from", "valid_to", "value", "amber_margin"])
    return {"units": units, "fields": fields, "procedures": procedures, "officers": officers, "targets": targets}


# --- facts ----------------------------------------------------------------------------


@dataclass
class _Context:
    """Arrays the chunk generator looks up by position."""

    unit_codes: np.ndarray
    unit_p: np.ndarray
    unit_level: np.ndarray
    dept_key: np.ndarray  # per unit: procedure pool key
    pools: dict  # key -> (procedure positions, weights in person, weights online)
    proc_codes: np.ndarray
    proc_field: np.ndarray  # field positions
    proc_days: np.ndarray
    proc_fee: np.ndarray
    field_codes: np.ndarray
    field_late: np.ndarray
    field_p1: np.ndarray
    field_p2: np.ndarray
    field_group: np.ndarray  # group positions
    off_codes: np.ndarray  # officers sorted by unit, group
    off_group_start: np.ndarray  # (units, groups)
    off_group_count: np.ndarray
    off_unit_start: np.ndarray
    off_unit_count: np.ndarray
    sat_mult: np.ndarray  # per unit
    weak: np.ndarray  # per unit bool
    inc_sat: np.ndarray  # (units, months) multiplier
    inc_late: np.ndarray  # (units, months) bool
    month0: int
    n_months: int
    holidays: np.ndarray
    snapshot: np.datetime64  # end of the range: the data's "now"


def _context(plan: _Plan, dims: dict, anomalies: list[Anomaly], start: date, end: date) -> _Context:
    units = plan.units
    n_units = len(units)
    codes = units["code"].to_numpy()
    level = units["level"].to_numpy()
    pos = {code: i for i, code in enumerate(codes)}
    procedures = dims["procedures"]
    field_codes = np.array([f[0] for f in FIELDS])
    field_pos = {code: i for i, code in enumerate(field_codes)}
    proc_field = np.array([field_pos[f] for f in procedures["field_code"]])
    dept_key = np.array(
        [codes[i].split(".", 1)[1] if level[i] == vocab.DEPARTMENT else level[i] for i in range(n_units)], dtype=object
    )
    pools = {}
    for key in sorted(set(dept_key)):
        members = [j for j, p in enumerate(PROCEDURES) if (p[7] == key) or (p[7] is None and p[3] == key)]
        if not members:
            continue
        w = np.array([PROCEDURES[j][4] for j in members], dtype=float)
        aff = np.array([PROCEDURES[j][5] for j in members], dtype=float)
        pools[key] = (np.array(members), w / w.sum(), (w * aff) / (w * aff).sum())

    officers = dims["officers"].copy()
    officers["group_pos"] = officers["group"].map({g: i for i, g in enumerate(GROUPS)})
    officers = officers.sort_values(["unit_pos", "group_pos", "code"], kind="stable").reset_index(drop=True)
    off_group_count = np.zeros((n_units, len(GROUPS)), dtype=np.int64)
    np.add.at(off_group_count, (officers["unit_pos"].to_numpy(), officers["group_pos"].to_numpy()), 1)
    off_unit_count = off_group_count.sum(1)
    off_unit_start = np.concatenate([[0], np.cumsum(off_unit_count)[:-1]])
    off_group_start = off_unit_start[:, None] + np.concatenate(
        [np.zeros((n_units, 1), dtype=np.int64), np.cumsum(off_group_count, 1)[:, :-1]], axis=1
    )

    months = _months(start, end)
    month_pos = {m: i for i, m in enumerate(months)}
    sat_mult = np.ones(n_units)
    weak = np.zeros(n_units, dtype=bool)
    inc_sat = np.ones((n_units, len(months)))
    inc_late = np.zeros((n_units, len(months)), dtype=bool)
    for anomaly in anomalies:
        u = pos[anomaly.unit_code]
        if anomaly.kind == "weak_ward":
            weak[u] = True
            sat_mult[u] = WEAK_SAT_MULT
            continue
        cols = [month_pos[m] for m in anomaly.months]
        if anomaly.affects_satisfaction:
            inc_sat[u, cols] = INCIDENT_SAT_MULT
        if anomaly.affects_timeliness:
            inc_late[u, cols] = True

    return _Context(
        unit_codes=codes.astype(object),
        unit_p=units["weight"].to_numpy() / units["weight"].sum(),
        unit_level=level,
        dept_key=dept_key,
        pools=pools,
        proc_codes=procedures["code"].to_numpy().astype(object),
        proc_field=proc_field,
        proc_days=procedures["legal_days"].to_numpy().astype(np.int64),
        proc_fee=np.array([p[6] for p in PROCEDURES]),
        field_codes=field_codes.astype(object),
        field_late=np.array([f[3] for f in FIELDS]),
        field_p1=np.array([f[4] for f in FIELDS]),
        field_p2=np.array([f[5] for f in FIELDS]),
        field_group=np.array([GROUPS.index(f[6]) for f in FIELDS]),
        off_codes=officers["code"].to_numpy().astype(object),
        off_group_start=off_group_start,
        off_group_count=off_group_count,
        off_unit_start=off_unit_start,
        off_unit_count=off_unit_count,
        sat_mult=sat_mult,
        weak=weak,
        inc_sat=inc_sat,
        inc_late=inc_late,
        month0=int(np.datetime64(months[0], "M").astype(np.int64)),
        n_months=len(months),
        holidays=holidays(start, end),
        snapshot=np.datetime64(end, "D").astype("datetime64[us]") + np.timedelta64(24 * US_PER_HOUR - 1_000_000, "us"),
    )


def _month_index(ctx: _Context, times: np.ndarray) -> np.ndarray:
    return np.clip(times.astype("datetime64[M]").astype(np.int64) - ctx.month0, 0, ctx.n_months - 1)


def _officers_for(ctx: _Context, rng: np.random.Generator, unit: np.ndarray, group: np.ndarray | None) -> np.ndarray:
    u = rng.random(len(unit))
    if group is None:
        start, count = ctx.off_unit_start[unit], ctx.off_unit_count[unit]
    else:
        start, count = ctx.off_group_start[unit, group], ctx.off_group_count[unit, group]
        fallback = count == 0
        start = np.where(fallback, ctx.off_unit_start[unit], start)
        count = np.where(fallback, ctx.off_unit_count[unit], count)
    return ctx.off_codes[start + np.minimum((u * count).astype(np.int64), count - 1)]


def _busday(days: np.ndarray, offsets, ctx: _Context, weekmask: str, roll: str = "forward") -> np.ndarray:
    return np.busday_offset(days.astype("datetime64[D]"), offsets, roll=roll, weekmask=weekmask, holidays=ctx.holidays)


def _day_us(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]").astype("datetime64[us]")


def _make_chunk(ctx: _Context, rng: np.random.Generator, days: np.ndarray, counts: np.ndarray,
                counter_weight: np.ndarray, dossier_seq0: int, rating_target: int, steps_from=None, steps_rng=None):
    """Dossiers received on `days` (counts per day x channel) and their ratings, plus walk-in ratings."""
    snapshot = ctx.snapshot
    # --- receipt ------------------------------------------------------------------------
    day_pos = np.concatenate([np.repeat(np.arange(len(days)), counts[:, c]) for c in range(3)])
    channel = np.repeat(np.array([vocab.IN_PERSON, vocab.ONLINE, vocab.POSTAL], dtype=np.int64), counts.sum(0))
    rday = days[day_pos]
    online = channel == vocab.ONLINE
    received = np.empty(len(rday), dtype="datetime64[us]")
    received[~online] = _counter_times(rng, rday[~online])
    received[online] = _online_times(rng, rday[online])
    order = np.argsort(received, kind="stable")
    received, channel, online = received[order], channel[order], online[order]
    n = len(received)
    unit = rng.choice(len(ctx.unit_p), size=n, p=ctx.unit_p)

    proc = np.empty(n, dtype=np.int64)
    keys = ctx.dept_key[unit]
    for key, (members, w_in, w_on) in ctx.pools.items():
        for is_online, weights in ((False, w_in), (True, w_on)):
            mask = (keys == key) & (online == is_online)
            if mask.any():
                proc[mask] = members[rng.choice(len(members), size=int(mask.sum()), p=weights)]
    field = ctx.proc_field[proc]
    legal = ctx.proc_days[proc]
    month = _month_index(ctx, received)
    rday = received.astype("datetime64[D]")

    # --- due date and supplements -----------------------------------------------------------
    tod_us = (received - _day_us(rday)).astype(np.int64)
    start_day = _busday(rday, 0, ctx, WEEKMASK_DUE)
    # Same-day procedures received after 15:00, and anything received after 16:30 (online at
    # night), count from the next working day.
    same_day = start_day == rday
    next_day = same_day & ((tod_us >= 16 * US_PER_HOUR + 30 * US_PER_MIN) | ((legal == 0) & (tod_us >= 15 * US_PER_HOUR)))
    start_day = np.where(next_day, _busday(start_day, 1, ctx, WEEKMASK_DUE), start_day)
    due_day = _busday(start_day, legal, ctx, WEEKMASK_DUE)
    due_at = _day_us(due_day) + np.timedelta64(17 * US_PER_HOUR, "us")
    r = rng.random(n)
    p1, p2 = ctx.field_p1[field], ctx.field_p2[field]
    supp_count = np.where(r < p2, 2 + (rng.random(n) < 0.25), np.where(r < p1 + p2, 1, 0)).astype(np.int64)
    supp_days = np.where(supp_count > 0, rng.integers(1, 8, n) * supp_count + rng.integers(0, 4, n), 0)
    eff_due = due_day + supp_days.astype("timedelta64[D]")

    # --- processing: early / on the due day / late ---------------------------------------
    years = rday.astype("datetime64[Y]").astype(np.int64) + 1970
    trend = np.clip(1.25 - 0.1 * (years - 2021), 0.6, 1.5)
    p_late = ctx.field_late[field] * trend
    weak = ctx.weak[unit]
    p_late = np.where(weak, np.maximum(p_late * WEAK_LATE_MULT, WEAK_LATE_FLOOR), p_late)
    incident_late = ctx.inc_late[unit, month]
    p_late = np.where(incident_late, np.maximum(p_late, INCIDENT_LATE_FLOOR), p_late)
    late = rng.random(n) < p_late

    window = np.busday_count(start_day, eff_due, weekmask=WEEKMASK_WORK, holidays=ctx.holidays)
    window = np.maximum(window, 0)
    frac = np.where(rng.random(n) < 0.22, 1.0, rng.random(n) ** 1.6)
    k = np.minimum(np.floor(frac * (window + 1)).astype(np.int64), window)
    on_time_day = _busday(start_day, k, ctx, WEEKMASK_WORK)
    on_time_day = np.minimum(on_time_day, eff_due)
    on_time_day = _busday(on_time_day, 0, ctx, WEEKMASK_WORK, roll="backward")
    on_time_day = np.maximum(on_time_day, start_day)
    extra = rng.geometric(0.35, n)
    extra = np.where(incident_late, rng.geometric(0.08, n), extra)
    stuck = rng.random(n) < STUCK_SHARE  # the long tail behind the "đang quá hạn" list
    extra = np.where(stuck, extra + rng.integers(10, 120, n), extra)
    late_day = _busday(eff_due, extra, ctx, WEEKMASK_WORK)
    finish_day = np.where(late, late_day, on_time_day)
    finished = _counter_times(rng, finish_day, margin_min=0)
    finished = np.maximum(finished, received + np.timedelta64(15 * US_PER_MIN, "us"))

    # --- return of the result ----------------------------------------------------------
    elec_share = _by_year(ELECTRONIC_RETURN_SHARE, rday)
    mode = np.where(
        channel == vocab.POSTAL, 2,
        np.where(online & (rng.random(n) < elec_share), 1, np.where(rng.random(n) < 0.03, 2, 0)),
    )  # 0 counter, 1 electronic, 2 postal
    wait = rng.geometric(0.45, n) - 1
    wait = np.where(mode == 2, rng.integers(2, 5, n), wait)
    ret_day = _busday(finished.astype("datetime64[D]"), wait, ctx, WEEKMASK_WORK)
    returned = _counter_times(rng, ret_day)
    too_early = returned <= finished
    if too_early.any():
        returned[too_early] = _counter_times(rng, _busday(ret_day[too_early], 1, ctx, WEEKMASK_WORK))
    returned = np.where(mode == 1, finished + _seconds(rng.integers(60, 1800, n) * 1_000_000).astype("timedelta64[us]"), returned)
    never_recorded = rng.random(n) < 0.04  # status 9: result ready, hand-over not recorded

    # --- status at the snapshot --------------------------------------------------------
    r = rng.random(n)
    closed_kind = np.where(online & (r < 0.02), 3, np.where(r < 0.024, 7, np.where(r < 0.026, 8, 0)))
    closed_at = received + _seconds(rng.uniform(0.2, 5.0, n) * 24 * US_PER_HOUR).astype(np.int64).astype("timedelta64[us]")
    is_closed = (closed_kind > 0) & (closed_at <= snapshot)
    is_finished = ~is_closed & (finished <= snapshot)
    is_returned = is_finished & ~never_recorded & (returned <= snapshot)
    fee = ctx.proc_fee[proc]
    r = rng.random(n)
    open_status = np.where(
        online & (received > snapshot - np.timedelta64(24 * US_PER_HOUR, "us")) & (r < 0.5), 1,
        np.where((supp_count > 0) & (r < 0.5), 5, np.where(fee & (r > 0.9), 6, np.where(r < 0.3, 2, 4))),
    )
    status = np.where(is_closed, closed_kind, np.where(is_returned, 10, np.where(is_finished, 9, open_status)))
    nat = np.datetime64("NaT", "us")
    finished_at = np.where(is_finished, finished, nat)
    returned_at = np.where(is_returned, returned, nat)

    # --- timeliness (the domain rule) and apology letters ---------------------------------
    frame = pd.DataFrame({
        "due_at": due_at, "finished_at": finished_at,
        "supplement_count": supp_count, "supplement_days": supp_days,
    })
    klass = timeliness.classify(frame, pd.Timestamp(snapshot)).to_numpy()
    late_class = np.isin(klass, [timeliness.LATE, timeliness.OVERDUE]) & ~is_closed
    troubled = weak | incident_late
    has_letter = late_class & (rng.random(n) < np.where(troubled, 0.72, 0.88))
    letter_in_time = rng.random(n) < 0.85
    back = rng.integers(0, 3, n)
    before = _busday(_busday(eff_due, 0, ctx, WEEKMASK_WORK, roll="backward"), -back, ctx, WEEKMASK_WORK)
    after = _busday(eff_due, rng.integers(1, 6, n), ctx, WEEKMASK_WORK)
    letter_day = np.where(letter_in_time, before, after)
    letter = _counter_times(rng, letter_day, margin_min=0)
    letter = np.maximum(letter, received + np.timedelta64(US_PER_HOUR, "us"))
    letter = np.where(is_finished, np.minimum(letter, finished), letter)
    has_letter &= letter <= snapshot
    apology_at = np.where(has_letter, letter, nat)

    # --- online extras -----------------------------------------------------------------
    r = rng.random(n)
    accepted_late = online & (r < _by_year(ACCEPTED_LATE_SHARE, rday) * np.where(incident_late | weak, 2.5, 1.0))
    paid_online = online & fee & (rng.random(n) < _by_year(PAID_ONLINE_SHARE, rday))
    digitised = rng.random(n) < _by_year(DIGITISED_SHARE, rday)
    officer = _officers_for(ctx, rng, unit, ctx.field_group[field])
    closed_time = np.where(is_closed, closed_at, nat)
    updated = received
    for column in (finished_at, returned_at, apology_at, closed_time):
        updated = np.where(np.isnat(column), updated, np.maximum(updated, column))

    seq = dossier_seq0 + np.arange(1, n + 1)
    unit_codes = ctx.unit_codes[unit]
    day_text = pd.Series(np.datetime_as_string(rday, unit="D")).str.replace("-", "", regex=False).str.slice(2)
    codes = (pd.Series(unit_codes) + "-" + day_text + "-" + pd.Series(seq).astype(str).str.zfill(8)).to_numpy(dtype=object)
    dossiers = pd.DataFrame({
        "code": _text(codes),
        "unit_code": _text(unit_codes),
        "procedure_code": _text(ctx.proc_codes[proc]),
        "field_code": _text(ctx.field_codes[field]),
        "channel": channel,
        "received_at": received,
        "accepted_late": accepted_late,
        "due_at": due_at,
        "finished_at": finished_at,
        "returned_at": returned_at,
        "status": status,
        "supplement_count": supp_count,
        "supplement_days": supp_days,
        "apology_issued_at": apology_at,
        "paid_online": paid_online,
        "digitised": digitised,
        "officer_code": _text(officer),
        "updated_at": updated,
        "closed_at": np.where(is_closed & (closed_kind != 3), closed_time, nat),
    })

    # --- processing steps (all dossiers, or those received since steps_from and the open ones)
    is_open = ~is_finished & ~is_closed
    with_steps = ~is_closed & (is_open | (received >= steps_from) if steps_from is not None else ~is_closed)
    step_rng = steps_rng if steps_rng is not None else np.random.default_rng()
    pick = np.flatnonzero(with_steps)
    steps = make_steps(
        step_rng, codes=codes[pick], unit_codes=unit_codes[pick], field_codes=ctx.field_codes[field[pick]],
        received=received[pick], due_at=due_at[pick], finished_at=finished_at[pick], is_open=is_open[pick],
        late=late_class[pick], officer=officer[pick], leader=ctx.off_codes[ctx.off_unit_start[unit[pick]]],
        other_officer=_officers_for(ctx, step_rng, unit[pick], None), snapshot=snapshot,
    )

    # --- ratings of returned dossiers ----------------------------------------------------
    p_rate = np.array([0.95, 0.45, 0.3])[mode]
    rated = is_returned & (rng.random(n) < p_rate)
    r = rng.random(n)
    rating_channel = np.where(
        mode == 0, np.where(r < 0.6, "kiosk", "tablet"),
        np.where(mode == 1, np.where(r < 0.6, "web", np.where(r < 0.93, "app", "sms")), np.where(r < 0.5, "web", "sms")),
    )
    delay = np.where(
        mode == 0,
        rng.uniform(0.5, 8.0, n) * US_PER_MIN,
        rng.exponential(18.0, n) * US_PER_HOUR + 5 * US_PER_MIN,
    )
    rated_at = returned + _seconds(delay.astype(np.int64)).astype("timedelta64[us]")
    rated &= rated_at <= snapshot
    linked = pd.DataFrame({
        "unit": unit[rated],
        "officer_code": officer[rated],
        "dossier_code": codes[rated],
        "channel": rating_channel[rated],
        "rated_at": rated_at[rated],
        "late": late_class[rated],
        "multi_supplement": supp_count[rated] > 1,
    })

    # --- walk-in ratings at the counter (no dossier) --------------------------------------
    n_walk = max(0, rating_target - len(linked))
    p_day = counter_weight / counter_weight.sum() if counter_weight.sum() > 0 else None
    walk_days = days[rng.choice(len(days), size=n_walk, p=p_day)] if n_walk and p_day is not None else days[:0]
    n_walk = len(walk_days)
    walk_unit = rng.choice(len(ctx.unit_p), size=n_walk, p=ctx.unit_p)
    walk = pd.DataFrame({
        "unit": walk_unit,
        "officer_code": _officers_for(ctx, rng, walk_unit, None),
        "dossier_code": np.full(n_walk, None, dtype=object),
        "channel": np.where(rng.random(n_walk) < 0.6, "kiosk", "tablet"),
        "rated_at": _counter_times(rng, walk_days),
        "late": np.zeros(n_walk, dtype=bool),
        "multi_supplement": np.zeros(n_walk, dtype=bool),
    })
    ratings = pd.concat([linked, walk], ignore_index=True)
    ratings = ratings.sort_values("rated_at", kind="stable").reset_index(drop=True)
    ratings = _rating_levels(ctx, rng, ratings)
    return dossiers, ratings, steps


def _text(values) -> pd.Series:
    """Strings as a plain object column: no round trip through pandas' Arrow string type."""
    return pd.Series(np.asarray(values, dtype=object), dtype=object, copy=False)


def _rating_levels(ctx: _Context, rng: np.random.Generator, ratings: pd.DataFrame) -> pd.DataFrame:
    n = len(ratings)
    unit = ratings["unit"].to_numpy()
    rated_at = ratings["rated_at"].to_numpy().astype("datetime64[us]")
    late = ratings["late"].to_numpy()
    mult = ctx.sat_mult[unit] * ctx.inc_sat[unit, _month_index(ctx, rated_at)]
    mult = mult * np.where(late, LATE_SAT_MULT, 1.0) * np.where(ratings["multi_supplement"].to_numpy(), MULTI_SUPPLEMENT_SAT_MULT, 1.0)
    counter = np.isin(ratings["channel"].to_numpy(), COUNTER_CHANNELS)
    p_neutral = np.empty(n)
    p_dissat = np.empty(n)
    p_very = np.empty(n)
    for cls, mask in (("counter", counter), ("remote", ~counter)):
        if not mask.any():
            continue
        _, neutral, dissat = CALIBRATION[cls]
        m = mult[mask]
        if cls == "remote":
            # Remote ratings start from a 5 % non-satisfied base: damp the multiplier so a weak
            # ward stays around 95-97 % overall whatever the channel mix of the year.
            m = 1.0 + (m - 1.0) * REMOTE_DAMPING
        m = m / m.mean()  # keeps the city-level shares at the calibration
        p_neutral[mask] = neutral * m
        p_dissat[mask] = dissat * m
        p_very[mask] = VERY_SATISFIED_SHARE[cls]
    scale = np.minimum(1.0, 0.6 / np.maximum(p_neutral + p_dissat, 1e-12))
    p_neutral, p_dissat = p_neutral * scale, p_dissat * scale
    r = rng.random(n)
    satisfied_r = (r - p_dissat - p_neutral) / np.maximum(1 - p_dissat - p_neutral, 1e-12)
    level = np.where(
        r < p_dissat, vocab.DISSATISFIED,
        np.where(r < p_dissat + p_neutral, vocab.NEUTRAL,
                 np.where(satisfied_r < p_very, vocab.VERY_SATISFIED, vocab.SATISFIED)),
    ).astype(np.int64)
    dissatisfied = level == vocab.DISSATISFIED
    with_reason = dissatisfied & (rng.random(n) < 0.4)
    reasons = np.array(REASONS, dtype=object)[rng.integers(0, len(REASONS), n)]
    reasons = np.where(late & (rng.random(n) < 0.5), LATE_REASON, reasons)
    reason = np.where(with_reason, reasons, None)
    return pd.DataFrame({
        "unit_code": _text(ctx.unit_codes[unit]),
        "officer_code": _text(ratings["officer_code"].to_numpy(dtype=object)),
        "dossier_code": _text(ratings["dossier_code"].to_numpy(dtype=object)),
        "channel": _text(ratings["channel"].to_numpy(dtype=object)),
        "level": level,
        "rated_at": rated_at,
        "reason": _text(reason),
    })


# --- orchestration ----------------------------------------------------------------------


def _chunks(month_of_day: np.ndarray, per_day: np.ndarray, limit: int) -> list[tuple[int, int]]:
    """Day ranges [lo, hi) made of whole months, each about `limit` dossiers at most."""
    boundaries = np.flatnonzero(np.diff(month_of_day)) + 1
    month_starts = np.concatenate([[0], boundaries, [len(month_of_day)]])
    chunks, lo, acc = [], 0, 0
    for a, b in zip(month_starts[:-1], month_starts[1:]):
        volume = int(per_day[a:b].sum())
        if acc and acc + volume > limit:
            chunks.append((lo, a))
            lo, acc = a, 0
        acc += volume
    chunks.append((lo, len(month_of_day)))
    return chunks


# Published survey figures (see docs/surveys.md): each row cites where it comes from. Links
# are left empty rather than guessed.
PUBLISHED_SURVEYS = [
    dict(source="sipas", period="2024", province_code="VN", indicator="satisfaction", value=83.94, sample_size=36525,
         method_note="Bộ Nội vụ, SIPAS 2024: chỉ số hài lòng cả nước 83,94 %, 36.525 phiếu khảo sát."),
    dict(source="sipas", period="2024", province_code="01", indicator="satisfaction", value=86.50,
         method_note="Bộ Nội vụ, SIPAS 2024: Hà Nội 86,50 %, xếp thứ 11/63 tỉnh, thành phố."),
    dict(source="sipas", period="2024", province_code="01", indicator="satisfaction_rank", value=11, scale_max=63,
         method_note="Bộ Nội vụ, SIPAS 2024: Hà Nội xếp thứ 11/63."),
    dict(source="mttq", period="2019", province_code="79", indicator="satisfaction", value=80.0, sample_size=12459,
         method_note="Ủy ban MTTQ Việt Nam TP.HCM, năm 2019: 12.459 phiếu khảo sát độc lập, mức hài lòng công bố «từ 80 %» "
                     "(mức sàn, không phải trung bình); cùng năm thiết bị tại đơn vị ghi nhận 99,24 % hài lòng."),
    dict(source="papi", period="2024", province_code="VN", indicator="respondents", value=18894, sample_size=18894,
         method_note="UNDP, CECODES, MTTQ: PAPI 2024 khảo sát 18.894 người dân trên cả nước."),
]


def demo_surveys(units: pd.DataFrame, seed: int = 42, years=(2023, 2024, 2025)) -> pd.DataFrame:
    """The published figures above, and a generated survey of the city and its districts by
    the city itself, each generated row saying so in its method note."""
    from metrics import periods, surveys

    rows = [dict(r) for r in PUBLISHED_SURVEYS]
    rng = np.random.default_rng([seed, 16])
    city = units[units["parent_code"].isna()]["code"].iloc[0]
    covered = [city] + list(units[units["level"] == vocab.DISTRICT]["code"])
    for year in years:
        for code in covered:
            base = 78 + 2.2 * (year - years[0]) + rng.normal(0, 2.5 if code != city else 0.5)
            rows.append(dict(
                source="city", period=str(year), province_code=city, unit_code=code, indicator="satisfaction",
                value=round(float(np.clip(base, 60, 97)), 1), sample_size=int(rng.integers(300, 1500)) if code != city else 9000,
                method_note=f"{surveys.GENERATED_MARK}: không phải số liệu công bố, chỉ để minh họa cách hiển thị khảo sát cấp đơn vị.",
            ))
    frame = pd.DataFrame(rows)
    for column in ("unit_code", "dimension", "scale_max", "sample_size", "link"):
        if column not in frame:
            frame[column] = None
    frame = frame.astype(object).where(frame.notna(), None)
    frame["scale"] = [surveys.INDICATORS[i][2] for i in frame["indicator"]]
    parsed = [periods.parse_period(p) for p in frame["period"]]
    frame["period_start"] = [p.start for p in parsed]
    frame["period_end"] = [p.end for p in parsed]
    frame["survey_key"] = [surveys.survey_key(*v) for v in zip(frame["source"], frame["period"], frame["province_code"], frame["unit_code"], frame["indicator"], frame["dimension"])]
    return frame


def write_demo_surveys(connection, seed: int = 42) -> int:
    """Insert the demo survey rows (into a database with units and no survey yet)."""
    unit_rows = pd.DataFrame(connection.execute(select(schema.units.c.code, schema.units.c.level, schema.units.c.parent_code)).all(), columns=["code", "level", "parent_code"])
    records = demo_surveys(unit_rows, seed).to_dict("records")
    connection.execute(schema.surveys.insert(), records)
    return len(records)
# Months of dossiers that get processing steps in the demo (plus every open dossier): the
# default demo keeps its first start within budget; "city" has steps for every dossier.
STEP_MONTHS = {"small": None, "default": 3, "city": None}


def steps_since(size: str, end: date, months: int | None | str = "size"):
    """The first received time with steps for every dossier (None: all dossiers).
    `months`: "size" for the size's default (STEP_MONTHS), None for all dossiers."""
    months = STEP_MONTHS.get(size) if months == "size" else months
    if months is None:
        return None
    first = (pd.Timestamp(end).to_period("M") - (months - 1)).start_time
    return np.datetime64(first, "us")


def generate(engine: Engine, size: str = "default", seed: int = 42, start: date = DEFAULT_START,
             end: date | None = None, progress=None, step_months: int | None | str = "size") -> dict[str, int]:
    """Fill an empty database (already at the current schema) with demo data; row counts per table.

    Writes units, fields, procedures, officers, targets, dossiers and ratings in one
    transaction; does not refresh summary tables. Refuses a database that already has units.
    `progress(fraction, message)` is called as the work advances.
    """
    if size not in SIZES:
        raise ValueError(f"size must be one of {', '.join(SIZES)}, not {size!r}")
    end = end or default_end()
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    report = progress or (lambda fraction, message: None)
    report(0.0, "Chuẩn bị dữ liệu mẫu")
    n_dossiers = SIZES[size]

    plan = _plan(seed)
    anomalies = incidents(seed, start, end)
    rng = np.random.default_rng([seed, 10])
    dims = _dimension_frames(plan, start, end, rng)
    ctx = _context(plan, dims, anomalies, start, end)

    days = np.arange(np.datetime64(start, "D"), np.datetime64(end, "D") + 1)
    counter_f, online_f = _day_factors(days, ctx.holidays, rng)
    online_share = _by_year(ONLINE_SHARE, days)
    expected = np.stack([counter_f * (1 - online_share) * 0.97, online_f * online_share, counter_f * (1 - online_share) * 0.03], 1)
    counts = rng.multinomial(n_dossiers, (expected / expected.sum()).ravel()).reshape(expected.shape)
    per_day = counts.sum(1)
    chunks = _chunks(days.astype("datetime64[M]").astype(np.int64), per_day, MAX_CHUNK_DOSSIERS)
    steps_from = steps_since(size, end, step_months)

    written = {}
    with engine.begin() as connection:
        missing = [name for name in ("units", "dossiers", "ratings") if not inspect(connection).has_table(name)]
        if missing:
            raise DemoDataError(
                f"table(s) {', '.join(missing)} missing: bring the database to the current schema first "
                "(python -m data_access.migrate URL, or --migrate)"
            )
        existing = connection.execute(select(func.count()).select_from(schema.units)).scalar_one()
        if existing:
            raise DemoDataError(
                f"the database already has {existing} units; demo data is only written into an empty database"
            )
        for name in ("units", "fields", "procedures", "officers", "targets"):
            frame = dims[name]
            if name == "officers":
                # Reminders in the demo go nowhere: the .invalid domain never resolves.
                frame = frame[["code", "full_name", "unit_code", "title"]].assign(email=frame["code"].str.lower() + "@demo.invalid")
            written[name] = bulk_insert(connection, schema.metadata.tables[name], frame)
        written["dossiers"] = written["ratings"] = written["dossier_steps"] = 0
        # Secondary indexes are rebuilt once at the end: far faster than updating them row by row.
        dropped = drop_secondary_indexes(connection, (schema.dossiers, schema.ratings, schema.dossier_steps))
        report(0.02, "Đã tạo danh mục đơn vị, lĩnh vực, thủ tục, cán bộ")
        for k, (lo, hi) in enumerate(chunks):
            chunk_rng = np.random.default_rng([seed, 20, k])
            rating_target = int(round(n_dossiers * per_day[lo:hi].sum() / max(per_day.sum(), 1)))
            dossiers, ratings, steps = _make_chunk(
                ctx, chunk_rng, days[lo:hi], counts[lo:hi], counter_f[lo:hi], written["dossiers"], rating_target, steps_from,
                np.random.default_rng([seed, 30, k]),  # its own stream: the dossiers and ratings stay as they were
            )
            keys = [f"R{written['ratings'] + i + 1:010d}" for i in range(len(ratings))]
            ratings.insert(0, "source_key", _text(keys))
            written["dossiers"] += bulk_insert(connection, schema.dossiers, dossiers)
            written["ratings"] += bulk_insert(connection, schema.ratings, ratings)
            written["dossier_steps"] += bulk_insert(connection, schema.dossier_steps, steps) if len(steps) else 0
            report(0.02 + 0.9 * (k + 1) / len(chunks),
                   f"Dữ liệu mẫu đến {pd.Timestamp(days[hi - 1]).strftime('%m/%Y')}: "
                   f"{fmt_int(written['dossiers'])} hồ sơ, {fmt_int(written['ratings'])} đánh giá")
        written["surveys"] = write_demo_surveys(connection, seed)
        report(0.99, "Đang tạo chỉ mục")
        for index in dropped:
            index.create(connection)
        report(1.0, f"Xong: {fmt_int(written['dossiers'])} hồ sơ, {fmt_int(written['ratings'])} đánh giá")
    written["unit_lineage"] = 0
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fill an empty dashboard database with demo data.")
    parser.add_argument("--size", choices=list(SIZES), default="default")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--start", type=date.fromisoformat, default=DEFAULT_START)
    parser.add_argument("--end", type=date.fromisoformat, default=None)
    parser.add_argument("--url", default=None, help="database URL (default: the app's database_url())")
    parser.add_argument("--migrate", action="store_true", help="bring the database to the current schema first")
    parser.add_argument("--no-refresh", action="store_true", help="leave the summary tables empty (refresh later)")
    parser.add_argument(
        # argparse passes a string default through `type` too: "size" must survive it.
        "--step-months", type=lambda v: v if v in ("size", "all") else int(v), default="size",
        help="months of dossiers that get processing steps besides the open ones: a number, or all (default: 3 for default, all otherwise)",
    )
    args = parser.parse_args(argv)
    from data_access.db import make_engine

    engine = make_engine(args.url)
    started = time.perf_counter()
    if args.migrate:
        from data_access import migrate

        migrate.upgrade(engine)

    def progress(fraction: float, message: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f}s] {fraction:5.0%} {message}", file=sys.stderr)

    try:
        counts = generate(engine, size=args.size, seed=args.seed, start=args.start, end=args.end, progress=progress, step_months=None if args.step_months == "all" else args.step_months)
    except DemoDataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for table, rows in counts.items():
        print(f"{table:14s} {rows:>12,}")
    print(f"generated and loaded in {time.perf_counter() - started:.1f} s")
    if not args.no_refresh:
        from data_access.refresh import refresh_summaries

        refreshed = time.perf_counter()
        refresh_summaries(engine)
        print(f"summaries refreshed in {time.perf_counter() - refreshed:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
