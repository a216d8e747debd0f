"""A data source at the edge of the system for tests: rows the test chooses, and a hook that
runs in the middle of an export (to act while a package is being built)."""

from workflows.assistance.connectors import Erased, Finding, Identifiers


class ListSource:
    key = "list"
    label = "Test source"
    subprocessor = ""
    practice_scoped = True
    rows: list[tuple[str, dict]] = []
    during_export = None  # called after the first row

    def find(self, ids: Identifiers) -> list[Finding]:
        return [Finding(self.key, c, 1) for c, _row in self.rows]

    def export(self, ids: Identifiers):
        for n, row in enumerate(self.rows):
            yield row
            if n == 0 and ListSource.during_export:
                ListSource.during_export()

    def erase(self, ids: Identifiers, keep: frozenset[str]) -> list[Erased]:
        return []
