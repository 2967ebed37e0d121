"""Makes `samples/penalty_case.xlsx` the way a unit would: fill the submission template, save in an
office suite. Run once by hand (needs LibreOffice: `soffice`); the result is committed.

Dates go in as date cells, amounts as numbers and everything else as text, as a clerk typing into
the template would leave them; LibreOffice then rewrites the whole file (its own styles, shared
strings, date serials), so the reader is tested on what an office suite really saves.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import subprocess
import tempfile
from pathlib import Path

from openpyxl import load_workbook

from standards.loader import standard
from standards.templates import write_template

HERE = Path(__file__).parent


def main() -> None:
    spec = standard()
    entity = spec.entity("penalty_case")
    by_name = {f.name: f for f in entity.fields}
    with tempfile.TemporaryDirectory() as scratch:
        template = write_template(Path(scratch) / "filled.xlsx", spec, ["penalty_case"])
        book = load_workbook(template)
        sheet = book[entity.name]
        headers = [cell.value for cell in sheet[1]]
        with (HERE / "penalty_case.csv").open(encoding="utf-8") as handle:
            for row_number, record in enumerate(csv.DictReader(handle), start=2):
                for column, header in enumerate(headers, start=1):
                    text = record.get(header, "")
                    if text == "":
                        continue
                    kind = by_name[header].type
                    cell = sheet.cell(row=row_number, column=column)
                    cell.value = _as_typed(text, kind)
        book.save(template)
        subprocess.run(
            ["soffice", "--headless", "--calc", "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir",
             str(Path(scratch) / "out"), str(template)],
            check=True, capture_output=True, timeout=180,
        )
        shutil.copy(Path(scratch) / "out" / "filled.xlsx", HERE / "penalty_case.xlsx")


def _as_typed(text: str, kind: str):
    if kind == "date":
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            return text  # odd spellings stay as the clerk typed them
    if kind == "datetime":
        try:
            return dt.datetime.fromisoformat(text)
        except ValueError:
            return text
    if kind == "decimal":
        try:
            return float(text)
        except ValueError:
            return text
    return text


if __name__ == "__main__":
    main()
