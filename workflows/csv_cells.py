"""Cells of the CSV files people open in a spreadsheet (data packages, the audit-log export)."""

# A spreadsheet runs a cell starting with one of these as a formula (or, after a tab or return,
# may still do so): =HYPERLINK(...) in a patient's text or an address must stay text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Some spreadsheets and importers trim the cell first: " =1+1" or "\n=1+1" then runs too.
LEADING_BLANKS = " \t\r\n\x0b\x0c\xa0"


def safe_cell(value):
    """Text that a spreadsheet would run as a formula, also after leading blanks, gets a
    leading quote; the rest, and any value that is not text, is unchanged."""
    if isinstance(value, str) and (
        value.startswith(FORMULA_STARTS) or value.lstrip(LEADING_BLANKS).startswith(FORMULA_STARTS)
    ):
        return "'" + value
    return value
