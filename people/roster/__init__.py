"""Roster import from spreadsheets (.xlsx, .xlsm, .xls, .ods, .csv: relief/sheet_reader.py): real
county rosters in, every bad row explained.

The user uploads a file (`people.services.roster_upload_create`), which is stored on a
`RosterUpload` and gets a dry run: what the commit does, inside one transaction, then rolled back,
its writes into temporary tables with the register's checks (people/roster/dry_run.py), listing
every bad row with its row number and a Chinese reason. The user then commits
(`services.roster_commit_start`): the same file is read again and written in one transaction; any
error writes nothing. Importing the same file again changes nothing.

What real rosters look like, and where each is handled:
- title rows above the header, one or two header rows, column names in several spellings, units in
  brackets (月收入（元）): `columns.py`;
- ID numbers with spaces or full-width digits, stored as numbers (Excel keeps 15 significant
  digits: reported as lost, never guessed), 15-digit old numbers; dates as text or date cells;
  amounts with 元 or thousands separators: `cells.py`;
- a 合计 row and signature lines at the bottom (skipped), one typed record per row: `rows.py`;
- the words rosters use for categories, 供养方式, relations and heating (one table a field),
  instruction rows and repeated headers (skipped): `vocabulary.py`, `rows.py`;
- villages by name or code, within the user's region and the row's written county and township:
  `villages.py`.
Then `loader.py` reads what the file refers to (a few queries whatever its length), `planner.py`
decides every row in memory without I/O, `writer.py` writes in bulk (COPY; a dry run into temporary
tables only, its keys looked up by `dry_run.py`), and `job.py` runs the steps as a background job.
"""

from people.roster.cells import CellError, parse_amount, parse_date, parse_id_number
from people.roster.columns import COLUMNS, TEMPLATE_FIELDS, find_header, match_column, template_workbook
from people.roster.job import roster_import
from people.roster.planner import Report

__all__ = [
    "COLUMNS",
    "TEMPLATE_FIELDS",
    "CellError",
    "Report",
    "find_header",
    "match_column",
    "parse_amount",
    "parse_date",
    "parse_id_number",
    "roster_import",
    "template_workbook",
]
