"""`reconcile` against the sandbox after a real sync: matching books exit 0; drift made by hand is reported
exactly, and `replay --force` repairs it."""

from __future__ import annotations

from conftest import Books


def test_matching_books_exit_0_with_reports(books: Books) -> None:
    books.sync()
    result = books.reconcile()
    print(result.output)
    assert result.exit_code == 0, result.output
    reports = books.tmp_path / "reports"
    assert (reports / "latest.json").exists()
    assert list(reports.glob("reconcile-*.csv")) and list(reports.glob("reconcile-*.html"))
