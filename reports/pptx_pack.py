"""The briefing pack as PowerPoint: native, editable charts and real tables (python-pptx).

Slides: title; KPI table with targets; map (image); units needing improvement (native clustered bar
chart, one rule: ranking.mark_weak); trend of the focus KPI (native line chart with the target); flagged units (table);
commitments due (table). Every slide's notes hold the definitions of the KPIs it shows.
"""

from __future__ import annotations

import io
from contextlib import contextmanager

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.chart.data import CategoryChartData
from pptx.chart.xlsx import CategoryWorkbookWriter
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
from pptx.util import Inches, Pt
from xlsxwriter import Workbook

from i18n.format import fmt_date, fmt_int
from metrics import kpis
from reports import content, figures
from reports.spreadsheet import XLSX_OPTIONS


class _SafeWorkbookWriter(CategoryWorkbookWriter):
    @contextmanager
    def _open_worksheet(self, xlsx_file):
        workbook = Workbook(xlsx_file, {"in_memory": True, **XLSX_OPTIONS})
        worksheet = workbook.add_worksheet()
        yield workbook, worksheet
        workbook.close()


class SafeCategoryChartData(CategoryChartData):
    """Chart data whose embedded workbook holds unit names as text, never as formulas."""

    @property
    def _workbook_writer(self):
        return _SafeWorkbookWriter(self)


WIDTH, HEIGHT = Inches(13.333), Inches(7.5)
DARK = RGBColor(0x1B, 0x26, 0x3B)
RED = RGBColor(0xD1, 0x49, 0x5B)
BLUE = RGBColor(0x1F, 0x5F, 0xA8)
GREEN = RGBColor(0x2A, 0x9D, 0x8F)
AMBER = RGBColor(0xED, 0xAE, 0x49)
STATUS_COLOUR = {"green": GREEN, "amber": AMBER, "red": RED}
ALERTS_PER_SLIDE = 4
COMMITMENTS_PER_SLIDE = 8


def _number_format(kpi: kpis.Kpi) -> str:
    return {"rate": "0.0%", "mean": "0.0"}.get(kpi.kind, "#,##0")


def _slide(deck, title: str, notes: list[str]):
    slide = deck.slides.add_slide(deck.slide_layouts[5])  # title only
    slide.shapes.title.text = title
    frame = slide.shapes.title.text_frame
    frame.paragraphs[0].runs[0].font.size = Pt(30)
    frame.paragraphs[0].runs[0].font.bold = True
    frame.paragraphs[0].runs[0].font.color.rgb = DARK
    slide.shapes.title.left, slide.shapes.title.top = Inches(0.5), Inches(0.25)
    slide.shapes.title.width, slide.shapes.title.height = WIDTH - Inches(1), Inches(1.0)
    slide.notes_slide.notes_text_frame.text = "\n".join(notes)
    return slide


def _table(slide, header: list[str], rows: list[list[str]], left, top, width, widths=None, size=14):
    shape = slide.shapes.add_table(len(rows) + 1, len(header), left, top, width, Inches(0.45) * (len(rows) + 1))
    table = shape.table
    if widths:
        total = sum(widths)
        for index, share in enumerate(widths):
            table.columns[index].width = int(width * share / total)
    for row_index, values in enumerate([header, *rows]):
        for column_index, value in enumerate(values):
            cell = table.cell(row_index, column_index)
            cell.text = str(value)
            for paragraph in cell.text_frame.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(size)
                    run.font.bold = row_index == 0
    return table


def _text(slide, text: str, left, top, width, height, size=20, colour=DARK, bold=False):
    box = slide.shapes.add_textbox(left, top, width, height)
    frame = box.text_frame
    frame.word_wrap = True
    lines = text.split("\n")
    for index, line in enumerate(lines):
        paragraph = frame.paragraphs[0] if index == 0 else frame.add_paragraph()
        run = paragraph.add_run()
        run.text = line
        run.font.size = Pt(size)
        run.font.bold = bold
        run.font.color.rgb = colour
    return box


def _nothing_to_show(slide, text: str, top) -> None:
    """The one large line a slide shows in place of its chart or table."""
    _text(slide, text, Inches(0.5), top, Inches(12), Inches(1), size=24)


def _per_slide(items: list, size: int) -> list[list]:
    """The items cut into slides of `size`; one empty slide when there are none (it says so)."""
    return [items[i : i + size] for i in range(0, len(items), size)] or [[]]


def _part(number: int, count: int) -> str:
    """' (2/3)' after the title of one slide of several; nothing when there is one."""
    return f" ({number}/{count})" if count > 1 else ""


def _kpis(deck, briefing: content.Briefing, report) -> None:
    """KPI table with targets."""
    b, lang, focus = briefing, briefing.lang, briefing.focus
    all_definitions = b.definition_lines(content.CARD_KPIS)
    report(0.1, b.t("Trang chỉ số", "KPI slide"))
    slide = _slide(deck, f"{b.t('Chỉ số chính', 'Key figures')} · {b.period.label(lang)}", all_definitions)
    table = _table(slide, content.kpi_header(lang), content.kpi_rows(b), Inches(0.5), Inches(1.4), WIDTH - Inches(1), [3.2, 1.3, 1.3, 1.4, 1.5, 2.6], size=16)
    for row_index, figure in enumerate(b.kpis, start=1):
        if figure.status:
            run = table.cell(row_index, 3).text_frame.paragraphs[0].runs[0]
            run.font.color.rgb = STATUS_COLOUR[figure.status]
            run.font.bold = True
    _text(
        slide,
        b.t(f"Chỉ số cần tập trung: {focus.label(lang)}", f"Focus KPI: {focus.label(lang)}"),
        Inches(0.5),
        Inches(6.7),
        WIDTH - Inches(1),
        Inches(0.5),
        size=16,
        colour=RED,
        bold=True,
    )


def _map(deck, briefing: content.Briefing, report) -> None:
    """Map (an image: drawn offline with matplotlib)."""
    b, lang, focus = briefing, briefing.lang, briefing.focus
    focus_definition = b.definition_lines([b.focus_kpi])
    report(0.25, b.t("Bản đồ", "Map"))
    if len(b.units_values):
        slide = _slide(
            deck, f"{b.t('Bản đồ', 'Map')} · {focus.label(lang)} ({b.children_label})", focus_definition + ([b.boundaries_note] if b.boundaries_note else [])
        )
        picture = figures.map_png(b, 11.5, 5.8)
        slide.shapes.add_picture(io.BytesIO(picture), Inches(0.9), Inches(1.3), height=Inches(5.9))


def _bottom(deck, briefing: content.Briefing, report) -> None:
    """Units needing improvement (the one rule of ranking.mark_weak): native bar chart, worst on top."""
    b, lang, focus = briefing, briefing.lang, briefing.focus
    focus_definition = b.definition_lines([b.focus_kpi])
    report(0.5, b.weak_title)
    target_text = b.t("Mục tiêu", "Target") + f": {b.fmt(b.trend_target)}" if b.trend_target is not None else ""
    slide = _slide(deck, f"{b.weak_title} · {focus.label(lang)}", focus_definition + [b.weak_rule])
    _text(slide, " · ".join(x for x in (target_text, b.weak_rule) if x), Inches(0.5), Inches(1.15), WIDTH - Inches(1), Inches(0.7), size=14, colour=DARK)
    if len(b.bottom):
        data = SafeCategoryChartData(number_format=_number_format(focus))
        data.categories = [str(n) for n in b.bottom["name"]]
        data.add_series(focus.label(lang), [float(v) for v in b.bottom["value"]])
        chart = slide.shapes.add_chart(XL_CHART_TYPE.BAR_CLUSTERED, Inches(0.5), Inches(1.9), Inches(7.6), Inches(5.4), data).chart
        chart.has_legend = False
        plot = chart.plots[0]
        plot.has_data_labels = True
        plot.data_labels.number_format = _number_format(focus)
        plot.data_labels.number_format_is_linked = False
        plot.data_labels.font.size = Pt(16)
        plot.data_labels.font.bold = True
        plot.series[0].format.fill.solid()
        plot.series[0].format.fill.fore_color.rgb = RED
        # Each label written out, in the reader's format ("95,0% · 20"): PowerPoint would
        # format the number in its own locale.
        for point, value, volume in zip(plot.series[0].points, b.bottom["value"], b.bottom["volume"]):
            label = point.data_label.text_frame
            label.text = f"{b.fmt(value)} · {fmt_int(volume, lang)}"
            label.paragraphs[0].runs[0].font.size = Pt(16)
            label.paragraphs[0].runs[0].font.bold = True
        chart.category_axis.reverse_order = True  # the worst unit on top
        chart.category_axis.tick_labels.font.size = Pt(18)
        chart.value_axis.tick_labels.font.size = Pt(14)
        chart.value_axis.has_major_gridlines = False
        if focus.kind == "rate":
            chart.value_axis.minimum_scale, chart.value_axis.maximum_scale, chart.value_axis.major_unit = 0.0, 1.0, 0.2
            chart.value_axis.tick_labels.number_format, chart.value_axis.tick_labels.number_format_is_linked = "0%", False
        _table(slide, content.bottom_header(b), content.bottom_rows(b), Inches(8.3), Inches(1.9), Inches(4.7), [1.0, 2.4, 1.3, 1.3, 1.7], size=12)
    else:
        _nothing_to_show(slide, b.t("Không đơn vị nào cần nêu theo quy tắc trên.", "No unit is named under the rule above."), Inches(2.4))


def _trend(deck, briefing: content.Briefing, report) -> None:
    """Trend: native line chart with the target."""
    b, lang, focus = briefing, briefing.lang, briefing.focus
    focus_definition = b.definition_lines([b.focus_kpi])
    report(0.65, b.t("Xu hướng", "Trend"))
    slide = _slide(deck, f"{b.t('Xu hướng 12 kỳ', 'Trend, 12 periods')} · {focus.label(lang)}", focus_definition)
    data = SafeCategoryChartData(number_format=_number_format(focus))
    data.categories = list(b.trend["label"])
    data.add_series(b.scope_name, [None if v != v else float(v) for v in b.trend["value"]])
    if b.trend_target is not None:
        data.add_series(b.t("Mục tiêu", "Target"), [float(b.trend_target)] * len(b.trend))
    chart = slide.shapes.add_chart(XL_CHART_TYPE.LINE_MARKERS, Inches(0.5), Inches(1.3), WIDTH - Inches(1), Inches(5.9), data).chart
    chart.has_legend = True
    chart.legend.position = XL_LEGEND_POSITION.BOTTOM
    chart.legend.include_in_layout = False
    chart.plots[0].series[0].format.line.color.rgb = BLUE
    chart.plots[0].series[0].format.line.width = Pt(3)
    if b.trend_target is not None:
        chart.plots[0].series[1].format.line.color.rgb = GREEN
        chart.plots[0].series[1].format.line.dash_style = 4  # dash
    chart.category_axis.tick_labels.font.size = Pt(12)
    chart.value_axis.tick_labels.font.size = Pt(12)


def _week(deck, briefing: content.Briefing, report) -> None:
    """The week's service index scoreboard."""
    b, lang = briefing, briefing.lang
    report(0.75, b.t("Chỉ số phục vụ của tuần", "The week's service index"))
    slide = _slide(deck, f"{b.t('Chỉ số phục vụ', 'Service index')} · {b.week_board.week.label(lang)}", content.week_board_notes(b))
    _text(slide, content.week_board_summary(b), Inches(0.5), Inches(1.2), WIDTH - Inches(1), Inches(0.6), size=16, bold=True)
    _table(
        slide,
        content.week_board_header(lang),
        content.week_board_rows(b),
        Inches(0.4),
        Inches(1.9),
        WIDTH - Inches(0.8),
        [0.8, 3.0, 1.0, 1.4, 1.5, 3.6, 1.0],
        size=11,
    )


def _alerts(deck, briefing: content.Briefing, report) -> None:
    """Flagged units."""
    b = briefing
    report(0.8, b.t("Cảnh báo", "Alerts"))
    alert_notes = b.definition_lines(content.KEY_FIGURE_KPIS) + [
        b.t(
            "Cảnh báo: chỉ số xấu đi vượt mức ngẫu nhiên so với 6 kỳ trước (kiểm định chính xác Fisher, hiệu chỉnh Bonferroni), hoặc hồ sơ quá hạn tăng gấp đôi.",
            "Alerts: a KPI worse than the six previous periods beyond chance (exact Fisher test, Bonferroni), or overdue dossiers doubling.",
        )
    ]
    header = [b.t("Đơn vị", "Unit"), b.t("Cảnh báo", "Alert"), b.t("Số liệu chính", "Key figures")]
    chunks = _per_slide(b.alerts, ALERTS_PER_SLIDE)
    for number, chunk in enumerate(chunks, start=1):
        slide = _slide(deck, b.t("Đơn vị có cảnh báo", "Units flagged by the alerts") + _part(number, len(chunks)), alert_notes)
        if not chunk:
            _nothing_to_show(slide, b.t("Không có đơn vị nào xấu đi bất thường trong kỳ.", "No unit got worse beyond chance this period."), Inches(2))
            continue
        rows = [
            [f"{u.name}" + (f"\n{u.parent_name}" if u.parent_name else ""), "\n".join(u.sentences), "\n".join(f"{k}: {v}" for k, v in u.figures)] for u in chunk
        ]
        _table(slide, header, rows, Inches(0.4), Inches(1.3), WIDTH - Inches(0.8), [2.2, 5.6, 4.5], size=11)
    if b.alert_count > sum(len(c) for c in chunks):
        _text(
            slide,
            b.t(
                f"… và {b.alert_count - len(b.alerts)} cảnh báo khác trên bảng điều hành.",
                f"… and {b.alert_count - len(b.alerts)} more alerts on the dashboard.",
            ),
            Inches(0.5),
            Inches(6.9),
            Inches(12),
            Inches(0.4),
            size=12,
        )


def _commitments(deck, briefing: content.Briefing, report) -> None:
    """Commitments due."""
    b, lang = briefing, briefing.lang
    report(0.9, b.t("Nhiệm vụ", "Commitments"))
    since = fmt_date(b.commitments_since) if b.commitments_since else "—"
    notes = [
        b.t(
            f"Nhiệm vụ đến hạn đến ngày họp {fmt_date(b.meeting_date)}, và nhiệm vụ đã đóng từ cuộc họp trước ({since}).",
            f"Commitments due by the meeting on {fmt_date(b.meeting_date)}, and those closed since the previous meeting ({since}).",
        )
    ]
    rows = content.commitment_rows(b)
    chunks = _per_slide(rows, COMMITMENTS_PER_SLIDE)
    for number, chunk in enumerate(chunks, start=1):
        slide = _slide(deck, b.t("Nhiệm vụ đến hạn", "Commitments due") + _part(number, len(chunks)), notes)
        if not chunk:
            _nothing_to_show(slide, b.t("Không có nhiệm vụ đến hạn.", "No commitments due."), Inches(2))
            continue
        _table(slide, content.commitment_header(lang), chunk, Inches(0.4), Inches(1.3), WIDTH - Inches(0.8), [2.0, 4.4, 1.8, 1.2, 1.4, 2.2], size=12)


SECTIONS = {"kpis": _kpis, "map": _map, "bottom": _bottom, "trend": _trend, "week": _week, "alerts": _alerts, "commitments": _commitments}


def build_pptx(briefing: content.Briefing, progress=None) -> bytes:
    report = progress or (lambda fraction, message: None)
    b, lang = briefing, briefing.lang
    all_definitions = b.definition_lines(content.CARD_KPIS)
    deck = Presentation()
    deck.slide_width, deck.slide_height = WIDTH, HEIGHT

    # 1. title
    slide = deck.slides.add_slide(deck.slide_layouts[0])
    slide.shapes.title.text = b.t("Họp giao ban", "Review meeting") + f" · {b.scope_name}"
    subtitle = (
        f"{b.period.label(lang)} · {b.t('so với', 'compared with')} {b.compare.label(lang)}\n{b.t('Ngày họp', 'Meeting date')}: {fmt_date(b.meeting_date)}"
    )
    slide.placeholders[1].text = subtitle
    slide.notes_slide.notes_text_frame.text = (
        b.t("Tài liệu đọc trước cuộc họp. Định nghĩa chỉ số:", "Pre-read for the meeting. KPI definitions:") + "\n" + "\n".join(all_definitions)
    )
    for section in content.sections(b):
        SECTIONS[section](deck, b, report)

    report(1.0, b.t("Xong", "Done"))
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()
