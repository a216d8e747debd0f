from pathlib import Path

from requests_app.diagram import document

DOC = Path(__file__).resolve().parents[2] / "docs" / "lifecycle.md"


def test_the_documented_lifecycle_is_the_one_in_the_code():
    assert DOC.read_text(encoding="utf-8") == document(), (
        "docs/lifecycle.md is out of date: run `python manage.py state_diagram`"
    )


def test_the_diagram_shows_the_guarded_decisions():
    text = document()
    assert "in_progress --> granted: grant (practice)" in text
    assert "in_review --> granted" not in text  # no decision before identity is verified
    assert "investigating --> decided: decide_complaint (practice)" in text
