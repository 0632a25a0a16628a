"""What can be wrong with a roster row: one stable code per kind of problem, and the column it is in.

Every row error carries a code from `CODES` (the API's contract: `/api/v1/roster-imports/` lists
them in its schema, docs/api-clients.md explains them), the field of the column it concerns (None
for a problem of the whole row) and the Chinese sentence shown to people. A code is never renamed
or reused for another meaning; new problems get new codes.

`RowError` is that sentence as a `str` (so the row's errors join and compare as text) that also
knows its code and field; `CellError` (people/roster/cells.py) carries the code of a cell that
cannot be read, and the row reader adds the field.
"""

from __future__ import annotations

from typing import Any

#: code -> what it means (English, for the API's documentation)
CODES: dict[str, str] = {
    # the person
    "name_missing": "The name cell is empty.",
    "name_too_long": "The name is longer than 50 characters.",
    "id_number_missing": "The ID number cell is empty.",
    "id_number_stored_as_number": "Excel stored the ID number as a number (or shows it in scientific "
    "notation): its last digits are lost and are never guessed.",
    "id_number_invalid": "The ID number is not a valid resident ID number (length, birth date, "
    "address code or check character).",
    "id_number_duplicate_in_file": "The same ID number is on an earlier row of the file.",
    "id_registered_elsewhere": "The ID number is registered as an active member of another household.",
    "name_conflict": "The ID number is registered under another name (a typing error or a rename: "
    "never renamed silently).",
    "sex_invalid": "The sex cell is neither 男 nor 女.",
    "sex_mismatch": "The sex cell disagrees with the sex the ID number encodes.",
    "birth_date_invalid": "The birth date cell cannot be read as a date.",
    "birth_date_mismatch": "The birth date cell disagrees with the birth date in the ID number.",
    "relation_unknown": "The relation to the head of household is not one the import knows.",
    "phone_too_long": "The phone number is longer than 20 characters.",
    "bank_unknown": "The bank (开户银行) is not one of the agent banks the system knows.",
    "account_invalid": "The account number is not 8 to 30 digits, or Excel stored it as a number.",
    "account_incomplete": "An account number without its bank, or a bank without an account number.",
    # the place
    "village_missing": "No village (or region code) is given and the uploader is not a village or "
    "township user.",
    "village_unknown": "No village of that name exists (within the row's county, where one is given).",
    "village_ambiguous": "Several villages have that name: the township or the 12-digit code is needed.",
    "village_out_of_scope": "The village exists but is outside the uploader's region.",
    "village_other_county": "The village is not in the county written on the row.",
    "village_retired": "The village (or its code) has been retired from the division codes: name the current one.",
    "region_code_invalid": "The region code is not 12 (village) or 9 (township) digits.",
    "region_code_unknown": "No region has that code.",
    "county_unknown": "No county of the name or code written on the row exists.",
    "county_mismatch": "The county written on the row is not the uploader's county.",
    # assistance and household values
    "category_unknown": "The assistance category is not one the import knows.",
    "tekun_mode_unknown": "The support mode (供养方式) is neither 集中供养 nor 分散供养.",
    "category_clash": "The category cannot hold beside one the household has (低保, 低保边缘 and 刚性支出困难 "
    "exclude each other): end or replace that one first.",
    "choice_unknown": "The value is not one of the choices of the column (heating, housing).",
    "housing_grade_missing": "The housing is written as 危房 without its grade (C级 or D级).",
    "date_invalid": "The date cannot be read.",
    "amount_invalid": "The amount is not a number, negative or too large.",
    # the household
    "household_undetermined": "The household of the row cannot be told: no household number and no "
    "head named.",
    "household_two_heads": "A second head of household in the same household.",
    "household_without_head": "A new household has no head (reported on its first row).",
    "household_refused": "The household of the row could not be registered (see the row named).",
    "household_number_taken": "The household number was taken in the village after the check.",
    # refused by the database on writing (nothing is written)
    "value_refused": "The database refused a value (a rule of the register); nothing was written.",
    "value_out_of_range": "A value is too long or too large for the register; nothing was written.",
    "other": "Any other problem of the row (and every problem of a report kept from before codes).",
}


class RowError(str):
    """One problem of a row: the sentence shown (the str itself), its `code` and the `field` of the
    column it concerns (people/roster/columns.py: COLUMNS; None for the whole row)."""

    code: str
    field: str | None

    def __new__(cls, message: Any, code: str, field: str | None = None) -> RowError:
        assert code in CODES, code
        error = super().__new__(cls, str(message))
        error.code = code
        error.field = field
        return error

    def __reduce__(self) -> tuple:
        return (RowError, (str(self), self.code, self.field))


def row_error(message: Any, code: str, field: str | None = None) -> RowError:
    """`message` with its code and field; a message that already is a RowError keeps its own code,
    and takes `field` only where it had none."""
    if isinstance(message, RowError):
        if message.field is None and field is not None:
            return RowError(str(message), message.code, field)
        return message
    return RowError(message, code, field)


def problems_of(entry: dict[str, Any]) -> list[dict[str, Any]]:
    """The problems of a stored report error ({"row", "name", "reason", "problems"}), each
    {"column", "code", "message"}; a report stored before codes existed gives its reason whole."""
    found = entry.get("problems")
    if found:
        return found
    return [{"column": None, "code": "other", "message": entry.get("reason", "")}]
