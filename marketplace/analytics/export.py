"""CSV exports of the dashboard tables: UTF-8 with BOM (Excel shows Vietnamese),
cells that start like a formula are neutralised."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from flask import Response

from ..imports.spreadsheet import safe_cell
from .queries import DateRange


def csv_response(name: str, rng: DateRange, headers: Sequence[str], rows: Iterable[Sequence[object]]) -> Response:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([str(h) for h in headers])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    filename = f"{name}-{rng.start:%Y%m%d}-{rng.end:%Y%m%d}.csv"
    return Response(
        b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8"),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "private, no-store"},
    )
