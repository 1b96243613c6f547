"""The one XLSX writer: number formats by unit, full values kept, real booleans, widths by content.

Read back with openpyxl, as Excel would open them: the cell keeps the full value, its number
format shows it rounded (whole metres, tenths of km and minutes, shares as percentages, degrees
to 1e-6), flags are Excel booleans, missing values empty cells, and each column is as wide as
what it shows.
"""

from __future__ import annotations

import numpy as np
import openpyxl
import pandas as pd
import pytest

from spatialint.contracts import CORRIDORS, DEAD_ENDS, TABLES, Column, Table
from spatialint.contracts.base import (
    FLOAT_FORMAT,
    GENERAL_FORMAT,
    INT_FORMAT,
    SHARE_FORMAT,
    UNIT_FORMATS,
    UNIT_ZH,
)
from spatialint.contracts.io import XLSX_COLUMN_WIDTH, shown_text, text_width, write_workbook

SAMPLE = Table(
    "sample", "样例", "sample", stage="test",
    columns=(
        Column("gap_id", "str", "编号", "gap id"),
        Column("gap_m", "float", "直线缺口", "straight-line gap", "m"),
        Column("detour_km", "float", "现状绕行距离", "current detour", "km"),
        Column("detour_min", "float", "现状绕行时间", "current detour", "min"),
        Column("share", "float", "面积比例", "share of area", number_format=SHARE_FORMAT),
        Column("ratio", "float", "绕行系数", "detour ratio"),
        Column("lon", "float", "经度", "longitude", "°"),
        Column("way_id", "Int", "道路编号", "way"),
        Column("planned", "bool", "有规划", "planned link"),
        Column("comment", "str", "备注", "comment"),
    ),
)  # fmt: skip
LONG_COMMENT = "纳入2026年计划，已上报省交通运输厅，等待批复"


@pytest.fixture(scope="module")
def sheet(tmp_path_factory):
    frame = pd.DataFrame(
        {
            "gap_id": ["G001", "G002"],
            "gap_m": [595.4998, 12.0],
            "detour_km": [83.6612, np.nan],
            "detour_min": [152.73, 1.0],
            "share": [0.16757, 1.0],
            "ratio": [1.21514834566563, 140.5],
            "lon": [113.4980762, 113.5041340686809],
            "way_id": pd.array([11, None], dtype="Int64"),
            "planned": pd.array([True, None], dtype="boolean"),
            "comment": [LONG_COMMENT, ""],
        }
    )
    path = tmp_path_factory.mktemp("xlsx") / "sample.xlsx"
    write_workbook(path, {SAMPLE: frame})
    return openpyxl.load_workbook(path)["样例 sample"]


def column_of(ws, name: str) -> str:
    """The letter of the column headed by ``name``'s bilingual label."""
    header = [c.value for c in ws[1]]
    return openpyxl.utils.get_column_letter(header.index(SAMPLE.bilingual(name)) + 1)


def test_cells_keep_full_values_shown_in_the_units_format(sheet):
    expected = {
        "gap_m": ("#,##0", 595.4998),
        "detour_km": ("#,##0.0", 83.6612),
        "detour_min": ("#,##0.0", 152.73),
        "share": ("0.0%", 0.16757),
        "ratio": ("#,##0.00", 1.21514834566563),
        "lon": ("0.000000", 113.4980762),
        "way_id": ("0", 11),
    }
    for name, (number_format, value) in expected.items():
        cell = sheet[f"{column_of(sheet, name)}2"]
        assert (cell.number_format, cell.value) == (number_format, value), name
    # as Excel shows them
    shown = {n: shown_text(v, f) for n, (f, v) in expected.items()}
    assert shown == {"gap_m": "595", "detour_km": "83.7", "detour_min": "152.7", "share": "16.8%",
                     "ratio": "1.22", "lon": "113.498076", "way_id": "11"}  # fmt: skip
    assert shown_text(1234.56, "#,##0.0") == "1,234.6" and shown_text(60.0, "General") == "60"


def test_flags_are_booleans_and_missing_values_empty(sheet):
    planned = column_of(sheet, "planned")
    assert sheet[f"{planned}2"].value is True and sheet[f"{planned}2"].data_type == "b"
    assert sheet[f"{planned}3"].value is None
    assert sheet[f"{column_of(sheet, 'way_id')}3"].value is None
    assert sheet[f"{column_of(sheet, 'detour_km')}3"].value is None
    assert sheet[f"{column_of(sheet, 'comment')}3"].value is None


def test_header_frozen_filtered_and_columns_fit_their_content(sheet):
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:J3"
    header = sheet["A1"]
    assert header.font.bold and header.alignment.wrap_text
    widths = {n: sheet.column_dimensions[column_of(sheet, n)].width for n in SAMPLE.names}
    # a Chinese character takes two cells: the long comment is the widest column
    assert widths["comment"] == text_width(LONG_COMMENT) + 2 == max(widths.values())
    # a column of short values is as wide as the Chinese part of its header
    assert widths["gap_id"] == XLSX_COLUMN_WIDTH[0]
    assert widths["detour_km"] == text_width("现状绕行距离（公里）") + 2
    assert all(XLSX_COLUMN_WIDTH[0] <= w <= XLSX_COLUMN_WIDTH[1] for w in widths.values())


def test_every_contract_column_has_a_format_by_its_kind():
    """Floats never show as General (unrounded) unless a column says so; every unit has its
    format."""
    assert set(UNIT_FORMATS) == set(UNIT_ZH)
    for table in TABLES.values():
        for column in table.columns:
            shown = column.display_format()
            if column.dtype in ("int", "Int"):
                assert shown == INT_FORMAT, (table.name, column.name)
            elif column.dtype == "float" and column.number_format is None:
                assert shown == UNIT_FORMATS.get(column.unit, FLOAT_FORMAT), (table.name, column)
            elif column.dtype in ("str", "bool"):
                assert shown == GENERAL_FORMAT
    assert CORRIDORS.column("index").display_format() == "#,##0.0"
    assert CORRIDORS.column("reach_road_ab").display_format() == SHARE_FORMAT
    assert DEAD_ENDS.column("person_minutes_saved").display_format() == "#,##0"


def test_the_demo_workbooks_come_from_the_one_writer(demo_run):
    """gaps.xlsx, corridors.xlsx and report.xlsx: the same formats, booleans and widths."""
    data = demo_run / "data" / "demo"
    for path, sheet_name in (
        (data / "gaps" / "gaps.xlsx", "断头路 dead ends"),
        (data / "results" / "report.xlsx", "断头路 dead ends"),
    ):
        ws = openpyxl.load_workbook(path)[sheet_name]
        header = [c.value for c in ws[1]]
        cell = {name: ws.cell(row=2, column=header.index(DEAD_ENDS.bilingual(name)) + 1)
                for name in ("gap_m", "detour_min", "lon", "planned")}  # fmt: skip
        assert cell["gap_m"].number_format == "#,##0"
        assert cell["detour_min"].number_format == "#,##0.0"
        assert cell["lon"].number_format == "0.000000"
        assert cell["planned"].data_type == "b"
        assert ws.freeze_panes == "A2" and ws.auto_filter.ref.startswith("A1:")
    for path in (data / "integration" / "corridors.xlsx", data / "results" / "report.xlsx"):
        ws = openpyxl.load_workbook(path)["走廊一体化 corridors"]
        header = [c.value for c in ws[1]]
        index = ws.cell(row=2, column=header.index(CORRIDORS.bilingual("index")) + 1)
        share = ws.cell(row=2, column=header.index(CORRIDORS.bilingual("overlap_road")) + 1)
        border = ws.cell(row=2, column=header.index(CORRIDORS.bilingual("border_km")) + 1)
        assert (index.number_format, share.number_format) == ("#,##0.0", SHARE_FORMAT)
        assert border.number_format == "#,##0.0" and isinstance(border.value, float)
