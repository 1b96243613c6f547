"""The planners' review of detected gaps: stable gap ids, the review file, the template.

A detected gap (断头路) gets an id derived only from its OpenStreetMap ids, so the same gap has the
same id in every run and planners can record decisions against it. The decisions live in a CSV
file that *planners* own (``gaps.review_file``, by default ``reviews/{study}/gaps_review.csv``
in the tracked ``reviews/`` folder, kept and versioned apart from the regenerated outputs): one
row per gap with ``gap_id``, ``status`` and ``comment`` (further columns are allowed and
ignored). A file at the old place, ``data/{study}/review/gaps_review.csv``, is still read when
the configured one is absent, with a notice saying how to move it (:func:`find_review_file`).

A run never writes to that file. The workflow checks it before it plans any job
(:func:`checked_review_file`), so a file that does not parse cleanly (:mod:`.review_csv`) stops
the run with one message and every earlier output stays as it was. The stage reads it again
(refusing it the same way) and joins the decisions onto the detected gaps: gaps not in the file
are ``待核实`` (to verify); gaps in the file that are no longer detected are kept, marked
``found = False``.
The run then writes a *template* (all gaps with their current statuses, UTF-8 with BOM so Excel
shows Chinese correctly) that a planner edits and copies over the review file.
"""

from __future__ import annotations

import hashlib
import logging
import re
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from spatialint.contracts.gaps import REVIEW_TEMPLATE
from spatialint.errors import DataError
from spatialint.gaps.review_csv import CsvRow, read_rows

logger = logging.getLogger(__name__)

#: Review statuses, in the order a gap usually moves through them, with their English names.
STATUSES: dict[str, str] = {
    "待核实": "to verify",
    "确认": "confirmed",
    "误报": "false positive",
    "在建": "under construction",
    "已打通": "opened",
}
#: Status of a gap no planner has reviewed yet.
DEFAULT_STATUS = "待核实"
#: English spellings accepted in the file (normalised to the Chinese status).
_ENGLISH_STATUS = {english: chinese for chinese, english in STATUSES.items()}
#: Columns the review file must have; each may also be headed by its Chinese name.
REQUIRED_COLUMNS: dict[str, str] = {"gap_id": "编号", "status": "状态", "comment": "备注"}
#: A gap id: a kind letter (G = dead end) and 10 hex digits. The letter keeps Excel from reading
#: an id such as 1234e56789 as a number.
GAP_ID_PATTERN = re.compile(r"^[A-Z][0-9a-f]{10}$")
#: Kinds of reviewable findings by id letter.
KINDS: dict[str, str] = {"G": "断头路 dead end", "C": "瓶颈路 class drop"}
#: ``found`` in the template, for planners.
FOUND_TEXT: dict[bool, str] = {True: "是 yes", False: "否 no"}


def stable_gap_id(node_ids: Iterable[int], way_ids: Iterable[int], *, kind: str = "G") -> str:
    """An id for a gap that depends only on its OSM node and way ids (order-free).

    Parameters
    ----------
    node_ids, way_ids
        The OSM ids of the gap's end nodes and of the ways they belong to.
    kind
        One upper-case letter naming the kind of finding (``G`` dead end, ``C`` class drop).

    Returns
    -------
    str
        ``kind`` followed by the first 10 hex digits of the SHA-1 of the sorted ids, e.g.
        ``G3f9a0c21be``; identical across runs and machines.
    """
    nodes = ",".join(str(int(n)) for n in sorted(int(n) for n in node_ids))
    ways = ",".join(str(int(w)) for w in sorted(int(w) for w in way_ids))
    digest = hashlib.sha1(f"n:{nodes}|w:{ways}".encode()).hexdigest()
    return f"{kind}{digest[:10]}"


def _allowed_text() -> str:
    return ", ".join(f"{zh} ({en})" for zh, en in STATUSES.items())


def read_review(path: str | Path) -> pd.DataFrame:
    """Read and check the planners' review file.

    Parameters
    ----------
    path
        The CSV file (UTF-8 with or without BOM, or GB18030 as Chinese Excel saves it).

    Returns
    -------
    pandas.DataFrame
        Columns ``gap_id``, ``status`` (normalised to the Chinese status), ``comment`` and any
        further columns of the file, plus ``review_row`` (the row number Excel shows).

    Raises
    ------
    DataError
        When a row does not parse cleanly (:func:`spatialint.gaps.review_csv.read_rows`: a
        quote never closed, text after a closing quote, ...), a required column is missing, a
        row has more or fewer cells than the header, a gap id is empty, malformed or repeated,
        or a status is not one of :data:`STATUSES`; the message names the file, the row as
        Excel numbers it and what to do. Nothing of a refused file is used.
    """
    path = Path(path)
    rows = read_rows(path)
    header = _header(rows, path)
    records: list[dict[str, str | int]] = []
    seen: dict[str, int] = {}
    for row in rows[1:]:
        if not any(cell.strip() for cell in row.cells):
            continue  # blank lines Excel leaves at the end
        record = _record(row, header, path=path, seen=seen)
        seen[str(record["gap_id"])] = int(record["review_row"])
        records.append(record)
    columns = [*REQUIRED_COLUMNS, *(h for h in header if h not in REQUIRED_COLUMNS and h)]
    frame = pd.DataFrame.from_records(records, columns=[*columns, "review_row"])
    logger.info("review file %s: %d reviewed gaps", path, len(frame))
    return frame


def _header_names() -> dict[str, str]:
    """Header text -> column name: the names of the template's columns, their Chinese labels
    and the ``中文 / English`` headers of the workbooks, and the short Chinese names of the
    required columns (:data:`REQUIRED_COLUMNS`)."""
    names = {zh: key for key, zh in REQUIRED_COLUMNS.items()}
    for column in REVIEW_TEMPLATE.columns:
        for text in (column.zh, column.label("zh"), column.bilingual()):
            names[text] = column.name
    return names


def _header(rows: list[CsvRow], path: Path) -> list[str]:
    """The header row with Chinese names of the required columns replaced by theirs.

    Raises
    ------
    DataError
        When the file is empty, not comma-separated, lacks a required column or repeats one.
    """
    if not rows:
        raise DataError(
            f"Review file {path} is empty; it needs a header row with "
            f"{', '.join(REQUIRED_COLUMNS)} (copy gaps_review_template.csv as a start)."
        )
    names = _header_names()
    cells = [cell.strip().lstrip("\ufeff").strip() for cell in rows[0].cells]
    header = [names.get(cell, cell) for cell in cells]
    missing = [key for key in REQUIRED_COLUMNS if key not in header]
    if missing and len(header) == 1 and any(sep in header[0] for sep in ";\t"):
        raise DataError(
            f"Review file {path} is not comma-separated (row 1 is {cells[0]!r}); save it from "
            "Excel as 'CSV UTF-8 (逗号分隔)' (comma-separated)."
        )
    if missing:
        raise DataError(
            f"Review file {path} has no column {', '.join(repr(m) for m in missing)} in its "
            f"header (row 1); it needs the columns gap_id, status, comment "
            f"(or 编号, 状态, 备注). Found: {', '.join(header) or '(nothing)'}."
        )
    duplicated = sorted({c for c in header if c and header.count(c) > 1})
    if duplicated:
        raise DataError(
            f"Review file {path}: column {duplicated[0]!r} appears twice in the header (row 1)."
        )
    return header


def _check_cell_count(row: CsvRow, header: list[str], path: Path) -> None:
    """Refuse a row with more cells than the header, or fewer (unless the header cells it
    lacks are empty): a comma or a line break in an unquoted comment shifts or splits a row."""
    short = len(row.cells) < len(header) and any(header[len(row.cells) :])
    if len(row.cells) <= len(header) and not short:
        return
    if short:
        reason = (
            "a comment with a line break must be in quotes, or cells are missing; every row "
            "needs as many cells as the header (Excel writes them so when it saves CSV)"
        )
    else:
        reason = (
            "a comment containing a comma must be in quotes, with no space before the "
            "opening quote (Excel does this when it saves CSV)"
        )
    raise DataError(
        f"Review file {path}, {row.where()}: {len(row.cells)} cells but the header has "
        f"{len(header)}; {reason}."
    )


def _record(
    row: CsvRow, header: list[str], *, path: Path, seen: dict[str, int]
) -> dict[str, str | int]:
    """One row of the review file as {column: text}, its status normalised, with
    ``review_row``; ``seen`` holds the gap ids of the rows before (id -> row).

    Raises
    ------
    DataError
        When the row has more or fewer cells than the header, its gap id is malformed or
        already seen, or its status is not allowed.
    """
    _check_cell_count(row, header, path)
    where = f"Review file {path}, {row.where()}"
    record: dict[str, str | int] = dict.fromkeys(header, "")
    record.update({h: c.strip() for h, c in zip(header, row.cells, strict=False)})
    gap_id = str(record["gap_id"])
    if not GAP_ID_PATTERN.match(gap_id):
        raise DataError(
            f"{where}: gap_id {gap_id!r} is not a gap id "
            "(a letter and 10 hex digits, e.g. G3f9a0c21be, as in gaps.csv)."
        )
    if gap_id in seen:
        raise DataError(
            f"{where}: gap_id {gap_id} already appears in row {seen[gap_id]}; keep one row per gap."
        )
    status = str(record["status"])
    status = _ENGLISH_STATUS.get(status.lower(), status)
    if status not in STATUSES:
        raise DataError(
            f"{where}: status {record['status']!r} of gap {gap_id} is not allowed; use one of "
            f"{_allowed_text()}."
        )
    record["status"] = status
    record["review_row"] = row.row
    return record


def check_kinds(review: pd.DataFrame, path: str | Path) -> None:
    """Refuse review rows whose gap id starts with no letter of :data:`KINDS`."""
    unknown = review[~review["gap_id"].str[0].isin(list(KINDS))]
    if not unknown.empty:
        raise DataError(
            f"Review file {path}, row {int(unknown['review_row'].iloc[0])}: "
            f"gap_id {unknown['gap_id'].iloc[0]} does not start with one of "
            f"{', '.join(KINDS)} ({', '.join(KINDS.values())})."
        )


def load_review(path: str | Path) -> pd.DataFrame:
    """The review file read (:func:`read_review`) and its gap ids checked (:func:`check_kinds`).

    Raises
    ------
    DataError
        When the file is refused, naming the row and what to do.
    """
    review = read_review(path)
    check_kinds(review, path)
    return review


# --- where the review file lives ---------------------------------------------------------


#: Where review files lived before they had a home of their own: beside the outputs, in the
#: git-ignored ``data/`` folder that ``rm -rf data/{study}`` deletes. Still read when the
#: configured file (``gaps.review_file``) is absent, with a notice telling the planner to move it.
OLD_REVIEW_FILE = "data/{study}/review/gaps_review.csv"
#: The folder of generated outputs (git-ignored, deleted and rebuilt at will).
OUTPUT_DIR = Path("data")


@dataclass(frozen=True)
class ReviewSource:
    """The review file a run of one study reads (``None``: none yet), and what to tell the
    planner about where it lies (``None``: nothing)."""

    path: Path | None
    notice: str | None = None


def move_notice(old: str | Path, new: str | Path) -> str:
    """Tell the planner to move a review file from the old place to ``new``: the commands."""
    old, new = Path(old), Path(new)
    move = f"mv {shlex.quote(str(old))} {shlex.quote(str(new))}"
    if str(new.parent) not in ("", "."):
        move = f"mkdir -p {shlex.quote(str(new.parent))} && {move}"
    return (
        f"the review decisions are read from {old}, inside the output folder {OUTPUT_DIR}/ "
        f"that git ignores and that deleting a study's outputs destroys. Move the file to its "
        f"home {new} (kept, and versioned with the study): {move}"
    )


def find_review_file(review_file: str | Path, study: str) -> ReviewSource:
    """The review file of ``study``: ``review_file`` (``gaps.review_file``, ``{study}`` filled
    in) when it exists, else the old place :data:`OLD_REVIEW_FILE` when that exists.

    Nothing is moved or written: the notice says what to do (move the old file, or delete it
    once the new one holds everything).
    """
    new, old = Path(review_file), Path(OLD_REVIEW_FILE.format(study=study))
    same = new.resolve() == old.resolve()
    if not new.exists():
        if same or not old.exists():
            return ReviewSource(None)
        return ReviewSource(old, move_notice(old, new))
    if not same and old.exists():
        return ReviewSource(
            new,
            f"both {new} and the old {old} exist; the run reads {new} only. Delete {old} once "
            "you have checked it holds nothing more.",
        )
    if new.resolve().is_relative_to(OUTPUT_DIR.resolve()):
        return ReviewSource(
            new,
            f"the review file {new} lies inside the output folder {OUTPUT_DIR}/, which git "
            "ignores and deleting a study's outputs destroys; keep it elsewhere, e.g. at "
            f"reviews/{study}/gaps_review.csv, the default of gaps.review_file.",
        )
    return ReviewSource(new)


def checked_review_file(review_file: str | Path, study: str) -> ReviewSource:
    """:func:`find_review_file`, with the file found read and checked (:func:`load_review`):
    what the workflow runs for every study before it plans a job, so a bad file stops it
    before anything runs or is deleted.

    Raises
    ------
    DataError
        When the file found is refused: the message names the file, the row, what is wrong
        and what to do.
    """
    source = find_review_file(review_file, study)
    if source.path is not None:
        try:
            load_review(source.path)
        except DataError as err:
            raise DataError(
                f"{err} Nothing was run and every earlier output is kept as it was; correct "
                "the file and run again."
            ) from err
    return source


def of_kind(review: pd.DataFrame | None, letter: str) -> pd.DataFrame | None:
    """The rows of ``review`` about findings of one kind (gap ids starting with ``letter``)."""
    return None if review is None else review[review["gap_id"].str.startswith(letter)]


def join_review(
    gaps: pd.DataFrame,
    review: pd.DataFrame | None,
    *,
    keep_columns: Sequence[str] = (),
) -> pd.DataFrame:
    """Join the planners' decisions onto the detected gaps, keeping gaps no longer detected.

    Parameters
    ----------
    gaps
        Detected gaps with a ``gap_id`` column (a GeoDataFrame stays one).
    review
        The output of :func:`read_review`, or ``None`` when there is no review file yet.
    keep_columns
        Columns of ``gaps`` that may be filled from same-named review-file columns for gaps no
        longer detected (e.g. names and coordinates copied from the template).

    Returns
    -------
    pandas.DataFrame
        ``gaps`` with ``status``, ``comment`` and ``found`` (True) columns, followed by one row
        (``found`` False, no geometry) per reviewed gap that was not detected in this run.
    """
    out = gaps.copy()
    if review is None or review.empty:
        out["status"] = DEFAULT_STATUS
        out["comment"] = ""
        out["found"] = True
        return out
    decisions = review.set_index("gap_id")
    out["status"] = out["gap_id"].map(decisions["status"]).fillna(DEFAULT_STATUS)
    out["comment"] = out["gap_id"].map(decisions["comment"]).fillna("")
    out["found"] = True
    lost = review[~review["gap_id"].isin(out["gap_id"])]
    if not lost.empty:
        logger.warning(
            "%d reviewed gap(s) no longer detected, kept as not found: %s",
            len(lost),
            ", ".join(lost["gap_id"].head(10)),
        )
        extra = pd.DataFrame(
            {"gap_id": lost["gap_id"], "status": lost["status"], "comment": lost["comment"]}
        )
        for column in keep_columns:
            if column in lost.columns and column in out.columns:
                extra[column] = _restore_type(lost[column], out[column])
        extra["found"] = False
        out = pd.concat([out, extra.reset_index(drop=True)], ignore_index=True)
        if hasattr(gaps, "geometry"):
            import geopandas as gpd

            out = gpd.GeoDataFrame(out, geometry=gaps.geometry.name, crs=gaps.crs)
    return out


def _restore_type(values: pd.Series, like: pd.Series) -> pd.Series:
    """Review-file text converted back to the dtype of the output column it came from."""
    values = values.replace("", pd.NA)
    if pd.api.types.is_bool_dtype(like):
        return values.map({"True": True, "False": False, "true": True, "false": False})
    if pd.api.types.is_numeric_dtype(like):
        return pd.to_numeric(values, errors="coerce")
    return values


def review_template(dead_ends: pd.DataFrame, class_drops: pd.DataFrame) -> pd.DataFrame:
    """The ready-to-edit review template: every finding, dead ends then class drops.

    Parameters
    ----------
    dead_ends, class_drops
        The joined findings (:func:`join_review`) as written (their contracts'
        :data:`~spatialint.contracts.DEAD_ENDS` and :data:`~spatialint.contracts.CLASS_DROPS`).

    Returns
    -------
    pandas.DataFrame
        The :data:`~spatialint.contracts.REVIEW_TEMPLATE` columns: ``gap_id``, ``status``,
        ``comment``, the ``kind`` in words, ``found`` as ``是 yes`` / ``否 no`` and what planners
        need to judge each finding (names, units, gap length, coordinates). Written as UTF-8
        with BOM (:func:`spatialint.contracts.io.write_csv`), so Excel shows Chinese correctly;
        never over the review file itself.
    """
    template = pd.concat(
        [dead_ends.assign(kind=KINDS["G"]), class_drops.assign(kind=KINDS["C"])],
        ignore_index=True,
    )
    template["found"] = template["found"].map({True: FOUND_TEXT[True], False: FOUND_TEXT[False]})
    return pd.DataFrame(template[list(REVIEW_TEMPLATE.names)])
