"""The review file is read strictly and lives in a home meant to be kept.

Every way a CSV file can parse quietly wrong (a quote left open that swallows the rows after it,
a line break in an unquoted comment, text after a closing quote, a short row, UTF-16, NUL
bytes) is refused with one message naming the row as Excel numbers it; what Excel writes
(quoted commas, line breaks and doubled quotes, BOM, GB18030) reads right. The file's home is
``reviews/{study}/gaps_review.csv``; the old place under ``data/`` is still read, with the
command that moves the file.
"""

from __future__ import annotations

import csv
import io
import logging
import shutil
import subprocess
from pathlib import Path

import pytest

from spatialint import cli
from spatialint.config import load_study
from spatialint.contracts.gaps import CLASS_DROPS, DEAD_ENDS, REVIEW_TEMPLATE
from spatialint.contracts.io import write_csv
from spatialint.errors import DataError
from spatialint.gaps.review import (
    OLD_REVIEW_FILE,
    checked_review_file,
    find_review_file,
    join_review,
    of_kind,
    read_review,
    review_template,
)
from spatialint.gaps.review_csv import read_rows
from spatialint.gaps.stage import read_review_file, review_hint
from spatialint.settings import GapSettings
from tests.conftest import REPO_ROOT
from tests.test_review import C1, G1, G2, G3, _detected

HEADER = "gap_id,status,comment"


def _write(path: Path, text: str, encoding: str = "utf-8-sig") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def _refused(tmp_path: Path, text: str, encoding: str = "utf-8-sig") -> str:
    with pytest.raises(DataError) as err:
        read_review(_write(tmp_path / "r.csv", text, encoding))
    return str(err.value)


# --- rows that do not parse cleanly are refused, naming the row ---------------------------


def test_unclosed_quote_is_refused_not_swallowing_the_rows_after_it(tmp_path):
    # the case measured in the issue: 在建 and 误报 came out as 待核实, rc 0
    text = f'{HEADER}\n{G1},确认,"已上报,计划\n{G2},在建,2026 年开工\n{G3},误报,河道\n'
    message = _refused(tmp_path, text)
    assert f"row 2, gap {G1}:" in message and '"已上报,计划' in message
    assert "never closed" in message
    assert 'written ""' in message  # what to do


def test_a_quote_closed_rows_later_is_refused_naming_the_swallowed_row(tmp_path):
    text = f'{HEADER}\n{G1},确认,"已上报,计划\n{G2},在建,开工"\n{G3},误报,河道\n'
    message = _refused(tmp_path, text)
    assert f"row 2, gap {G1}:" in message and f"line 3 ({G2},在建,开工" in message
    assert "looks like a row of its own" in message


def test_a_comment_line_naming_another_gap_is_no_swallowed_row(tmp_path):
    text = f'{HEADER}\n{G1},确认,"与下一条相连:\n{G2}, 同一条路"\n{G2},确认,\n'
    assert read_review(_write(tmp_path / "r.csv", text))["comment"].iloc[0].endswith("同一条路")


def test_a_quote_closed_by_a_later_opening_quote_is_refused(tmp_path):
    text = f'{HEADER}\n{G1},确认,"已上报\n另见 "河道" 一节\n{G3},误报,x\n'
    message = _refused(tmp_path, text)
    assert f"row 2 (line 3 of the file), gap {G1}" in message and "opened on line 2" in message
    assert "'河道\" 一节' follows the closing quote" in message


def test_text_after_a_closing_quote_is_refused(tmp_path):
    message = _refused(tmp_path, f'{HEADER}\n{G1},确认,x\n{G2},在建,"北段" 已通车\n')
    assert f"row 3, gap {G2}:" in message and "'已通车' follows the closing quote" in message


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        # a line break typed into an unquoted comment splits the row in two
        (
            f"{HEADER},name\n{G1},确认,已上报\n计划 2026 年,,,\n",
            r"row 2: 3 cells but the header has 4",
        ),
        (f"{HEADER}\n{G1},确认\n", r"row 2: 2 cells but .* line break must be in quotes"),
        (f'{HEADER}\n{G1},确认, "a, b"\n', r"row 2: 4 cells .*no space before the opening quote"),
    ],
)
def test_rows_with_another_number_of_cells_are_refused(tmp_path, text, pattern):
    with pytest.raises(DataError, match=pattern):
        read_review(_write(tmp_path / "r.csv", text))


def test_a_row_may_lack_the_cells_of_unnamed_trailing_columns(tmp_path):
    review = read_review(_write(tmp_path / "r.csv", f"{HEADER},,\n{G1},确认,x\n"))
    assert list(review["comment"]) == ["x"]


@pytest.mark.parametrize(
    ("raw", "pattern"),
    [
        (f"{HEADER}\n{G1},确认,x\n".encode("utf-16"), "UTF-16"),
        (f"{HEADER}\n{G1},确认,x\x00\n".encode(), "NUL bytes"),
        (b"gap_id,status,comment\n\xff\xfe\xfd\x80,x,y\n", "neither UTF-8 nor GB18030"),
    ],
)
def test_text_that_is_not_utf8_or_gb18030_is_refused(tmp_path, raw, pattern):
    path = tmp_path / "r.csv"
    path.write_bytes(raw)
    with pytest.raises(DataError, match=pattern):
        read_review(path)


def test_a_folder_in_place_of_the_file_is_refused(tmp_path):
    (tmp_path / "r.csv").mkdir()
    with pytest.raises(DataError, match="cannot be read"):
        read_review(tmp_path / "r.csv")


# --- what Excel writes reads right ----------------------------------------------------------


def test_quoted_multi_line_comments_read_and_rows_are_numbered_as_excel_does(tmp_path):
    text = (
        f'{HEADER}\r\n{G1},确认,"第一行\r\n第二行, 有逗号 ""和引号"""\r\n'
        f'{G2},在建,"他说""好"""\r\n{G3},误报,他说"好"\r\n\r\n'
    )
    review = read_review(_write(tmp_path / "r.csv", text))
    assert list(review["comment"]) == ['第一行\r\n第二行, 有逗号 "和引号"', '他说"好"', '他说"好"']
    assert list(review["review_row"]) == [2, 3, 4]  # Excel's rows, not the file's lines
    bad = text.replace(f"{G3},误报", f"{G3},maybe")
    assert "row 4 (line 5 of the file): status 'maybe'" in _refused(tmp_path, bad)


def test_blanks_after_a_closing_quote_are_ignored(tmp_path):
    review = read_review(_write(tmp_path / "r.csv", f'{HEADER}\n{G1},"确认" ,"a, b"\t\n'))
    assert list(review["status"]) == ["确认"] and list(review["comment"]) == ["a, b"]


def test_gb18030_with_a_multi_line_comment_and_a_doubled_bom(tmp_path):
    text = f'编号,状态,备注\n{G1},误报,"河道阻隔\n无法连通"\n'
    assert read_review(_write(tmp_path / "r.csv", text, "gb18030"))["comment"].iloc[0] == (
        "河道阻隔\n无法连通"
    )
    doubled = _write(tmp_path / "r2.csv", "\ufeff" + text)  # a BOM saved twice
    assert list(read_review(doubled)["gap_id"]) == [G1]


def test_workbook_headers_are_understood(tmp_path):
    header = ",".join(REVIEW_TEMPLATE.bilingual(n) for n in ("gap_id", "status", "comment"))
    review = read_review(_write(tmp_path / "r.csv", f"{header}\n{G1},确认,x\n"))
    assert list(review["status"]) == ["确认"]


@pytest.mark.parametrize(
    "text",
    [
        "a,b,c\n1,2,3\n",
        "a,b,c\r\n1,,\r\n,,\r\n",
        'a,b\n"x, y","multi\nline"\n"",""""\n',
        'a,b\r"q""uote",z\rlast,row',
        "a\n\n\nb\n",
        'a,b\n他说"好",x\n',
    ],
)
def test_clean_files_split_as_the_csv_module_does(tmp_path, text):
    rows = read_rows(_write(tmp_path / "r.csv", text))
    expected = [row or [""] for row in csv.reader(io.StringIO(text, newline=""))]
    assert [list(row.cells) for row in rows] == expected


def test_template_with_tricky_comments_reads_back_unchanged(tmp_path):
    comment = '已上报,计划\n"北段"先通车, 南段 2027'
    quoted = '"' + comment.replace('"', '""') + '"'
    path = _write(tmp_path / "r.csv", f"{HEADER}\n{G1},在建,{quoted}\n")
    review = read_review(path)
    assert review["comment"].iloc[0] == comment
    dead = join_review(
        _detected(DEAD_ENDS, gap_id=[G1, G2], rank=[1, 2]),
        of_kind(review, "G"),
        keep_columns=REVIEW_TEMPLATE.names,
    )
    drops = join_review(_detected(CLASS_DROPS, gap_id=[C1]), None)
    template = tmp_path / "gaps_review_template.csv"
    write_csv(review_template(dead, drops), REVIEW_TEMPLATE, template)
    back = read_review(template).set_index("gap_id")
    assert back.loc[G1, "comment"] == comment and back.loc[G1, "status"] == "在建"
    assert list(back.index) == [G1, G2, C1]


# --- the home of the review file ----------------------------------------------------------


def test_the_default_home_is_a_tracked_reviews_folder():
    gaps = GapSettings.from_study(load_study("demo"))
    assert gaps.review_file == "reviews/demo/gaps_review.csv"
    assert (REPO_ROOT / "reviews" / "README.md").is_file()
    if shutil.which("git") is None or not (REPO_ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", gaps.review_file],
        cwd=REPO_ROOT,
        check=False,
    )
    assert ignored.returncode == 1, "the review file's home must not be git-ignored"


NEW = "reviews/demo/gaps_review.csv"
OLD = OLD_REVIEW_FILE.format(study="demo")


def _place(tmp_path: Path, *paths: str) -> None:
    for path in paths:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        _write(tmp_path / path, f"{HEADER}\n{G1},确认,x\n")


def test_no_review_file_yet(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert find_review_file(NEW, "demo").path is None


def test_the_home_is_read_without_a_note(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _place(tmp_path, NEW)
    source = find_review_file(NEW, "demo")
    assert source.path == Path(NEW) and source.notice is None


def test_the_old_place_is_read_with_the_command_that_moves_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _place(tmp_path, OLD)
    before = (tmp_path / OLD).read_bytes()
    source = checked_review_file(NEW, "demo")
    assert source.path == Path(OLD)
    assert f"mkdir -p reviews/demo && mv {OLD} {NEW}" in source.notice
    assert not (tmp_path / NEW).exists() and (tmp_path / OLD).read_bytes() == before


def test_with_both_the_home_wins_and_the_old_file_is_named(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _place(tmp_path, NEW, OLD)
    source = find_review_file(NEW, "demo")
    assert source.path == Path(NEW)
    assert f"reads {NEW} only" in source.notice and f"Delete {OLD}" in source.notice


def test_a_review_file_configured_inside_data_gets_a_note(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _place(tmp_path, OLD)
    source = find_review_file(OLD, "demo")
    assert source.path == Path(OLD) and "inside the output folder data/" in source.notice


def test_a_refused_file_says_nothing_ran(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / NEW).parent.mkdir(parents=True)
    _write(tmp_path / NEW, f'{HEADER}\n{G1},确认,"open\n{G2},在建,x\n')
    with pytest.raises(
        DataError, match=r"row 2, gap G\w+: .*Nothing was run and every earlier output"
    ):
        checked_review_file(NEW, "demo")


def test_validate_checks_the_review_file(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / NEW).parent.mkdir(parents=True)
    _write(tmp_path / NEW, f"{HEADER}\n{G1},确认,x\n{G2},maybe,\n")
    assert cli.main(["validate", "demo"]) == cli.EXIT_USER_ERROR
    assert f"{NEW}, row 3: status 'maybe'" in capsys.readouterr().err
    _place(tmp_path, NEW)
    assert cli.main(["validate", "demo"]) == 0
    assert f"review file {NEW}: checked" in capsys.readouterr().out


def test_the_stage_log_says_how_to_move_an_old_file_and_how_to_start(tmp_path, caplog):
    old = tmp_path / OLD
    _place(tmp_path, OLD)
    new = str(tmp_path / NEW)
    with caplog.at_level(logging.WARNING):
        review = read_review_file(old, review_file=new)
    assert list(review["gap_id"]) == [G1]
    assert f"mv {old} {new}" in caplog.text
    template = tmp_path / "data/demo/gaps/gaps_review_template.csv"
    hint = review_hint(template, new)
    assert f"mkdir -p {Path(new).parent} && cp {template} {new}" in hint
    _place(tmp_path, NEW)
    assert f"decisions of {new}" in review_hint(template, new)
