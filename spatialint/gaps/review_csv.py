"""Strict reading of a CSV file that people edit by hand: the planners' review file.

Python's :mod:`csv` module (and Excel) read a broken file without complaint: a quote opened in a
comment and never closed swallows every following line into that one cell, so decisions further
down silently disappear. This reader splits the text into rows itself and refuses anything that
does not parse cleanly, naming the row as Excel numbers it and the line a text editor shows:

- a quote that opens a cell and is never closed (the rest of the file would become one cell);
- a quoted cell spanning lines where a later line looks like a row of its own (a quote left
  open that happens to be closed further down, swallowing the rows in between);
- text after the closing quote of a cell (``"北段" 已通车``);
- text that is not UTF-8 or GB18030, UTF-16 ("Unicode text") or binary bytes.

What it accepts is RFC 4180 as Excel writes it: cells separated by commas, rows by ``\\n``,
``\\r\\n`` or ``\\r``; a cell in quotes may hold commas, line breaks and doubled quotes (``""``);
a quote inside an unquoted cell (``他说"好"``) is kept as it is, as Excel does, and blanks
between a closing quote and the next comma are ignored.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from spatialint.errors import DataError

logger = logging.getLogger(__name__)

#: Encodings tried in order: UTF-8 (with or without BOM), then GB18030, what Excel on a Chinese
#: Windows writes for "CSV (逗号分隔)".
ENCODINGS = ("utf-8-sig", "gb18030")
#: A line inside a quoted cell that starts like a row of the review file (a gap id and a comma)
#: and has as many commas as the header: the sign of a quote left open that swallowed the rows
#: after it (a comment line that merely names another gap has fewer).
_ROW_START = re.compile(r'^\s*"?[A-Za-z][0-9A-Fa-f]{10}"?\s*,')
_GAP_ID = re.compile(r"^[A-Za-z][0-9A-Fa-f]{10}$")
_SAVE_AS = "save it from Excel as 'CSV UTF-8 (逗号分隔)'"
#: How much of a cell a message quotes.
_SNIPPET = 24


@dataclass(frozen=True)
class CsvRow:
    """One row of the file: its number as Excel shows it (the header is row 1), the line of the
    file where it starts (they differ after a cell with a line break), and its cells."""

    row: int
    line: int
    cells: tuple[str, ...]

    def where(self) -> str:
        """``row 5`` or, when a line break in an earlier cell shifted the lines, ``row 5
        (line 7 of the file)``."""
        if self.row == self.line:
            return f"row {self.row}"
        return f"row {self.row} (line {self.line} of the file)"


def decode(path: Path) -> str:
    """The text of ``path`` in one of :data:`ENCODINGS`.

    Raises
    ------
    DataError
        When the file cannot be read (a folder, no permission), is UTF-16 ("Unicode text" in
        Excel), holds NUL bytes (not a text file) or is neither UTF-8 nor GB18030.
    """
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise DataError(
            f"Review file {path} cannot be read ({err.strerror or err}); it must be a readable "
            "CSV file."
        ) from err
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DataError(
            f"Review file {path} is saved as UTF-16 ('Unicode text'); {_SAVE_AS} (comma-separated)."
        )
    if b"\x00" in raw:
        raise DataError(f"Review file {path} is not a text file (it holds NUL bytes); {_SAVE_AS}.")
    for encoding in ENCODINGS:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding != ENCODINGS[0]:
            logger.info("review file %s read as %s (not UTF-8)", path, encoding)
        return text
    raise DataError(f"Review file {path} is neither UTF-8 nor GB18030 text; {_SAVE_AS}.")


def read_rows(path: str | Path) -> list[CsvRow]:
    """Every row of a CSV file, blank rows included (Excel counts them), parsed strictly.

    Raises
    ------
    DataError
        When the file cannot be decoded (:func:`decode`) or a row does not parse cleanly; the
        message names the file, the row as Excel numbers it, the line, what is wrong and what
        to do.
    """
    path = Path(path)
    return _Splitter(decode(path), path).rows()


def _snippet(text: str) -> str:
    """The start of a cell's text for a message: its first line, cut at :data:`_SNIPPET`."""
    first = re.split(r"\r\n|\r|\n", text, maxsplit=1)
    cut = first[0][:_SNIPPET]
    return cut if cut == text else cut + "…"


class _Splitter:
    """Splits CSV text into :class:`CsvRow` objects, character by character, remembering where
    each row and each quoted cell began, so a problem can be named where a planner sees it."""

    def __init__(self, text: str, path: Path) -> None:
        self.text, self.path = text, path
        self.pos, self.line = 0, 1
        self.out: list[CsvRow] = []

    def rows(self) -> list[CsvRow]:
        while self.pos < len(self.text):
            self._row()
        return self.out

    def _newline_at(self, pos: int) -> int:
        """Length of the line break at ``pos`` (``\\r\\n`` = 2), 0 if none."""
        if self.text.startswith("\r\n", pos):
            return 2
        return 1 if self.text[pos : pos + 1] in ("\n", "\r") else 0

    def _row(self) -> None:
        row = CsvRow(len(self.out) + 1, self.line, ())
        cells: list[str] = []
        while True:
            if self.text.startswith('"', self.pos):
                cell, end = self._quoted(CsvRow(row.row, row.line, tuple(cells)))
            else:
                cell, end = self._plain()
            cells.append(cell)
            if end == ",":
                continue
            self.out.append(CsvRow(row.row, row.line, tuple(cells)))
            return

    def _plain(self) -> tuple[str, str]:
        """An unquoted cell up to the next comma, line break or the end; a quote inside it is
        kept as text. Returns the cell and what ended it (``,``, ``\\n`` or ``""``)."""
        start = self.pos
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == ",":
                self.pos += 1
                return self.text[start : self.pos - 1], ","
            if step := self._newline_at(self.pos):
                self.pos += step
                self.line += 1
                return self.text[start : self.pos - step], "\n"
            self.pos += 1
        return self.text[start:], ""

    def _quoted(self, row: CsvRow) -> tuple[str, str]:
        """A quoted cell starting at the quote under ``pos``. Returns the cell and what ended
        it, like :meth:`_plain`."""
        opened_line = self.line
        start = self.pos = self.pos + 1
        parts: list[str] = []
        while True:
            close = self.text.find('"', self.pos)
            if close < 0:
                self._refuse_unclosed(row, opened_line, self.text[start:])
            parts.append(self.text[self.pos : close])
            self.line += self._count_lines(self.text[self.pos : close])
            if self.text.startswith('""', close):  # a doubled quote inside the cell
                parts.append('"')
                self.pos = close + 2
                continue
            self.pos = close + 1
            break
        cell = "".join(parts)
        self._refuse_swallowed(row, opened_line, cell)
        while self.text[self.pos : self.pos + 1] in (" ", "\t"):  # blanks after the quote
            self.pos += 1
        if self.pos >= len(self.text):
            return cell, ""
        if self.text[self.pos] == ",":
            self.pos += 1
            return cell, ","
        if step := self._newline_at(self.pos):
            self.pos += step
            self.line += 1
            return cell, "\n"
        self._refuse_after_quote(row, opened_line, cell)
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _count_lines(text: str) -> int:
        return text.count("\n") + text.count("\r") - text.count("\r\n")

    def _refuse_unclosed(self, row: CsvRow, opened_line: int, rest: str) -> None:
        raise DataError(
            f"Review file {self.path}, {_at(row, opened_line)}: the cell starting "
            f'"{_snippet(rest)} opens a quote (") that is never closed, so every line after it '
            "would be read into that one cell and the decisions in them lost. Close the quote "
            'at the end of the cell, or remove it; a quote inside a cell is written "" (Excel '
            "does this when it saves CSV)."
        )

    def _looks_like_a_row(self, text: str) -> bool:
        commas = len(self.out[0].cells) - 1 if self.out else 1
        return bool(_ROW_START.match(text)) and text.count(",") >= commas

    def _refuse_swallowed(self, row: CsvRow, opened_line: int, cell: str) -> None:
        lines = cell.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        for offset, text in enumerate(lines[1:], start=1):
            if self._looks_like_a_row(text):
                raise DataError(
                    f"Review file {self.path}, {_at(row, opened_line)}: the cell starting "
                    f'"{_snippet(cell)} opens a quote (") that is closed only on line '
                    f"{self.line}, so line {opened_line + offset} ({_snippet(text)}), which "
                    "looks like a row of its own, would be read into that cell and its decision "
                    "lost. Close the quote at the end of the cell, or remove it; a quote inside "
                    'a cell is written "" (Excel does this when it saves CSV).'
                )

    def _refuse_after_quote(self, row: CsvRow, opened_line: int, cell: str) -> None:
        after = re.split(r"\r\n|\r|\n", self.text[self.pos :], maxsplit=1)[0]
        opened = f" (opened on line {opened_line})" if opened_line != self.line else ""
        raise DataError(
            f"Review file {self.path}, {_at(row, self.line)}: text {_snippet(after)!r} follows "
            f'the closing quote of the cell "{_snippet(cell)}"{opened}; a cell is either all in '
            "quotes or has none at its start. Put the whole cell in quotes and write a quote "
            'inside it as "" (Excel does this when it saves CSV), or remove the quotes.'
        )


def _at(row: CsvRow, line: int) -> str:
    """``row 5`` or ``row 5 (line 7 of the file)`` for a problem on ``line`` of row ``row``,
    with the gap id when the row's first cell (read so far) is one."""
    where = CsvRow(row.row, line, ()).where()
    first = row.cells[0].strip() if row.cells else ""
    return f"{where}, gap {first}" if _GAP_ID.match(first) else where
