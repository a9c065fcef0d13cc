"""The briefing pack as PDF (fpdf2): the same content as the PowerPoint, one landscape page
per slide, tables as text tables, charts as matplotlib images, the KPI definitions at the
end of each page. Fonts: matplotlib's bundled DejaVu Sans (every Vietnamese letter), so
the PDF builds the same on a bare machine.
"""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib
from fpdf import FPDF
from fpdf.fonts import FontFace

from i18n.format import fmt_date
from reports import content, figures

FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
DEBIAN_FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FAMILY = "DejaVu"
DARK = (27, 38, 59)
RED = (209, 73, 91)
GREEN = (42, 157, 143)
AMBER = (190, 120, 20)
STATUS_COLOUR = {"green": GREEN, "amber": AMBER, "red": RED}


def _font(name: str) -> str:
    for folder in (FONT_DIR, DEBIAN_FONT_DIR):
        if (folder / name).exists():
            return str(folder / name)
    raise FileNotFoundError(f"{name} not found in {FONT_DIR} or {DEBIAN_FONT_DIR}")


class _Pack(FPDF):
    footer_text = ""

    def footer(self):
        self.set_y(-10)
        self.set_font(FAMILY, size=8)
        self.set_text_color(110, 110, 110)
        self.cell(0, 5, f"{self.footer_text} · {self.page_no()}", align="R")


def _page(pdf: _Pack, title: str, notes: list[str]):
    pdf.add_page()
    pdf.set_font(FAMILY, "B", 20)
    pdf.set_text_color(*DARK)
    pdf.multi_cell(0, 10, title, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    return notes


def _notes(pdf: _Pack, notes: list[str]):
    if not notes:
        return
    pdf.set_font(FAMILY, size=8)
    pdf.set_text_color(90, 90, 90)
    # A long definition wraps: measure the lines so the notes end above the footer.
    lines = sum(len(pdf.multi_cell(0, 4, line, dry_run=True, output="LINES")) for line in notes)
    height = 4 * (lines + 1)
    if pdf.get_y() < pdf.h - 14 - height:
        pdf.set_y(pdf.h - 14 - height)
    for line in notes:
        pdf.multi_cell(0, 4, line, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)


def _table(pdf: _Pack, header: list[str], rows: list[list[str]], widths: list[float], size: int = 11, colours: dict | None = None):
    pdf.set_font(FAMILY, size=size)
    pdf.set_text_color(0, 0, 0)
    heading = FontFace(emphasis="BOLD", fill_color=(230, 235, 242))
    with pdf.table(col_widths=widths, headings_style=heading, line_height=size * 0.55, text_align="LEFT", align="LEFT") as table:
        table.row(header)
        for index, values in enumerate(rows):
            row = table.row()
            for column, value in enumerate(values):
                colour = (colours or {}).get((index, column))
                row.cell(str(value), style=FontFace(color=colour, emphasis="BOLD") if colour else None)


def _image(pdf: _Pack, png: bytes, height: float):
    pdf.image(io.BytesIO(png), x=pdf.l_margin, h=height, keep_aspect_ratio=True, w=pdf.epw)
    pdf.ln(2)


def _kpis(pdf, briefing: content.Briefing, report) -> None:
    """KPI table."""
    b, lang, focus = briefing, briefing.lang, briefing.focus
    all_definitions = b.definition_lines(content.CARD_KPIS)
    report(0.1, b.t("Trang chỉ số", "KPI page"))
    notes = _page(pdf, f"{b.t('Chỉ số chính', 'Key figures')} · {b.period.label(lang)}", all_definitions)
    colours = {(i, 3): STATUS_COLOUR[f.status] for i, f in enumerate(b.kpis) if f.status}
    _table(pdf, content.kpi_header(lang), content.kpi_rows(b), [3.2, 1.3, 1.3, 1.4, 1.5, 2.6], size=12, colours=colours)
    pdf.ln(3)
    pdf.set_font(FAMILY, "B", 13)
    pdf.set_text_color(*RED)
    pdf.cell(0, 8, b.t(f"Chỉ số cần tập trung: {focus.label(lang)}", f"Focus KPI: {focus.label(lang)}"), new_x="LMARGIN", new_y="NEXT")
    _notes(pdf, notes)


def _map(pdf, briefing: content.Briefing, report) -> None:
    """Map."""
    b, lang, focus = briefing, briefing.lang, briefing.focus
    focus_definition = b.definition_lines([b.focus_kpi])
    report(0.25, b.t("Bản đồ", "Map"))
    if len(b.units_values):
        notes = _page(pdf, f"{b.t('Bản đồ', 'Map')} · {focus.label(lang)} ({b.children_label})", focus_definition)
        _image(pdf, figures.map_png(b, 11, 6.0), 140)
        _notes(pdf, notes)


def _bottom(pdf, briefing: content.Briefing, report) -> None:
    """Units needing improvement (ranking.mark_weak)."""
    b, lang, focus = briefing, briefing.lang, briefing.focus
    focus_definition = b.definition_lines([b.focus_kpi])
    report(0.45, b.weak_title)
    notes = _page(pdf, f"{b.weak_title} · {focus.label(lang)}", focus_definition)
    pdf.set_font(FAMILY, size=11)
    target_text = b.t("Mục tiêu", "Target") + f": {b.fmt(b.trend_target)} · " if b.trend_target is not None else ""
    pdf.multi_cell(0, 6, target_text + b.weak_rule, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    if len(b.bottom):
        y = pdf.get_y()
        pdf.image(io.BytesIO(figures.bar_png(b, 8, 5.2)), x=pdf.l_margin, y=y, w=150)
        pdf.set_xy(pdf.l_margin + 155, y)
        pdf.set_left_margin(pdf.l_margin + 155)
        _table(pdf, content.bottom_header(b), content.bottom_rows(b), [0.8, 2.6, 1.4, 1.3, 1.8], size=10)
        pdf.set_left_margin(14)
    else:
        pdf.set_font(FAMILY, size=14)
        pdf.cell(0, 10, b.t("Không đơn vị nào cần nêu theo quy tắc trên.", "No unit is named under the rule above."), new_x="LMARGIN", new_y="NEXT")
    _notes(pdf, notes)


def _trend(pdf, briefing: content.Briefing, report) -> None:
    """Trend."""
    b, lang, focus = briefing, briefing.lang, briefing.focus
    focus_definition = b.definition_lines([b.focus_kpi])
    report(0.6, b.t("Xu hướng", "Trend"))
    notes = _page(pdf, f"{b.t('Xu hướng 12 kỳ', 'Trend, 12 periods')} · {focus.label(lang)}", focus_definition)
    _image(pdf, figures.line_png(b, 11, 5.0), 120)
    pdf.set_font(FAMILY, size=9)
    _table(
        pdf,
        [b.t("Kỳ", "Period"), *list(b.trend["label"])][:13],
        [[focus.label(lang), *[b.fmt(v) for v in b.trend["value"]]][:13]],
        [2.2] + [1.0] * min(len(b.trend), 12),
        size=7,
    )
    _notes(pdf, notes)


def _week(pdf, briefing: content.Briefing, report) -> None:
    """The week's service index scoreboard."""
    b, lang = briefing, briefing.lang
    report(0.7, b.t("Chỉ số phục vụ của tuần", "The week's service index"))
    notes = _page(pdf, f"{b.t('Chỉ số phục vụ', 'Service index')} · {b.week_board.week.label(lang)}", content.week_board_notes(b))
    pdf.set_font(FAMILY, "B", 12)
    pdf.multi_cell(0, 7, content.week_board_summary(b), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    _table(pdf, content.week_board_header(lang), content.week_board_rows(b), [0.8, 3.0, 1.0, 1.4, 1.5, 3.6, 1.0], size=9)
    _notes(pdf, notes)


def _alerts(pdf, briefing: content.Briefing, report) -> None:
    """Alerts."""
    b = briefing
    report(0.75, b.t("Cảnh báo", "Alerts"))
    notes = _page(pdf, b.t("Đơn vị có cảnh báo", "Units flagged by the alerts"), b.definition_lines(content.KEY_FIGURE_KPIS))
    if b.alerts:
        rows = [
            [u.name + (f"\n{u.parent_name}" if u.parent_name else ""), "\n".join(u.sentences), "\n".join(f"{k}: {v}" for k, v in u.figures)] for u in b.alerts
        ]
        _table(pdf, [b.t("Đơn vị", "Unit"), b.t("Cảnh báo", "Alert"), b.t("Số liệu chính", "Key figures")], rows, [2.2, 5.6, 4.5], size=9)
        if b.alert_count > len(b.alerts):
            pdf.set_font(FAMILY, size=9)
            pdf.cell(
                0,
                6,
                b.t(f"… và {b.alert_count - len(b.alerts)} cảnh báo khác.", f"… and {b.alert_count - len(b.alerts)} more alerts."),
                new_x="LMARGIN",
                new_y="NEXT",
            )
    else:
        pdf.set_font(FAMILY, size=14)
        pdf.cell(0, 10, b.t("Không có đơn vị nào xấu đi bất thường trong kỳ.", "No unit got worse beyond chance this period."), new_x="LMARGIN", new_y="NEXT")
    _notes(pdf, notes)


def _commitments(pdf, briefing: content.Briefing, report) -> None:
    """Commitments."""
    b, lang = briefing, briefing.lang
    report(0.9, b.t("Nhiệm vụ", "Commitments"))
    since = fmt_date(b.commitments_since) if b.commitments_since else "—"
    notes = _page(
        pdf,
        b.t("Nhiệm vụ đến hạn", "Commitments due"),
        [
            b.t(
                f"Nhiệm vụ đến hạn đến ngày họp {fmt_date(b.meeting_date)}, và nhiệm vụ đã đóng từ cuộc họp trước ({since}).",
                f"Commitments due by the meeting on {fmt_date(b.meeting_date)}, and those closed since the previous meeting ({since}).",
            )
        ],
    )
    rows = content.commitment_rows(b)
    if rows:
        _table(pdf, content.commitment_header(lang), rows, [2.0, 4.4, 1.8, 1.2, 1.4, 2.2], size=10)
    else:
        pdf.set_font(FAMILY, size=14)
        pdf.cell(0, 10, b.t("Không có nhiệm vụ đến hạn.", "No commitments due."), new_x="LMARGIN", new_y="NEXT")
    _notes(pdf, notes)


SECTIONS = {"kpis": _kpis, "map": _map, "bottom": _bottom, "trend": _trend, "week": _week, "alerts": _alerts, "commitments": _commitments}


def build_pdf(briefing: content.Briefing, progress=None) -> bytes:
    report = progress or (lambda fraction, message: None)
    b, lang = briefing, briefing.lang
    pdf = _Pack(orientation="landscape", format="A4")
    pdf.add_font(FAMILY, "", _font("DejaVuSans.ttf"))
    pdf.add_font(FAMILY, "B", _font("DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(True, margin=14)
    pdf.set_margins(14, 12, 14)
    pdf.footer_text = f"{b.scope_name} · {b.period.label(lang)}"
    pdf.set_title(b.title)
    pdf.set_creator("Chỉ số phục vụ người dân")

    # 1. title
    pdf.add_page()
    pdf.set_y(60)
    pdf.set_font(FAMILY, "B", 30)
    pdf.set_text_color(*DARK)
    pdf.multi_cell(0, 14, f"{b.t('Họp giao ban', 'Review meeting')} · {b.scope_name}", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, size=16)
    pdf.multi_cell(0, 9, f"{b.period.label(lang)} · {b.t('so với', 'compared with')} {b.compare.label(lang)}", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 9, f"{b.t('Ngày họp', 'Meeting date')}: {fmt_date(b.meeting_date)}", align="C", new_x="LMARGIN", new_y="NEXT")
    for section in content.sections(b):
        SECTIONS[section](pdf, b, report)

    report(1.0, b.t("Xong", "Done"))
    return bytes(pdf.output())
