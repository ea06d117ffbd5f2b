"""Spreadsheet import (CSV/XLSX: preview, then all-or-nothing commit) and CSV export
of a seller's catalog."""
