"""CSV files an instructor edits in a spreadsheet (manual.csv, an extensions file), read as they are saved.

Excel's "CSV UTF-8" starts the file with a byte-order mark, and where the decimal separator is a comma
(most of Europe) Excel and LibreOffice separate cells with `;`. `read` accepts `,`, `;` or a tab (the one
the header row uses most) and a leading byte-order mark; `write` writes the same kind back, so a sheet
saved by Excel opens in Excel again. A file in another encoding is refused with what to do.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

from coursegrad.grading.escape import csv_cell


@dataclass(frozen=True)
class Kind:
    """How a sheet was saved: its cell separator and whether it starts with a byte-order mark."""

    delimiter: str = ","
    bom: bool = False


def read(path: str | Path) -> tuple[list[str], list[dict], Kind]:
    """(the header's column names, the rows as dicts, how it was saved); ValueError if it is not UTF-8."""
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(f"{path} is not UTF-8 text: save it as 'CSV UTF-8' (Excel) or 'Text CSV, UTF-8' (LibreOffice)") from None
    header = text.split("\n", 1)[0]
    delimiter = max([",", ";", "\t"], key=header.count)
    reader = csv.DictReader(text.splitlines(keepends=True), delimiter=delimiter)
    rows = [{k.strip(): (v or "") for k, v in row.items() if k is not None} for row in reader]
    names = [name.strip() for name in reader.fieldnames or []]
    return names, rows, Kind(delimiter, raw.startswith(b"\xef\xbb\xbf"))


def write(path: str | Path, fields: list[str], rows: list[dict], kind: Kind = Kind()) -> None:
    """Write atomically (a temporary file renamed into place), no cell a spreadsheet runs as a formula."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", newline="", encoding="utf-8-sig" if kind.bom else "utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore", delimiter=kind.delimiter)
        writer.writeheader()
        writer.writerows({k: csv_cell(v) for k, v in row.items()} for row in rows)
    os.replace(tmp, path)
