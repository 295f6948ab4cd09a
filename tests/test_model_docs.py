"""docs/model.md is generated from the registry and must match a fresh render."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from specialeplan.model.docs import COMMAND, main, render
from specialeplan.model.families import FAMILIES, TERMS

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "model.md"


def test_docs_model_md_is_up_to_date() -> None:
    fresh = render()
    committed = PAGE.read_text(encoding="utf-8") if PAGE.exists() else ""
    if committed != fresh:
        diff = "\n".join(list(difflib.unified_diff(
            committed.splitlines(), fresh.splitlines(), "docs/model.md", "fresh render",
            lineterm="", n=1))[:30])
        pytest.fail(f"docs/model.md is stale: regenerate it from the repository root with "
                    f"`{COMMAND}` and commit it.\n{diff}")


def test_every_family_and_term_is_documented_in_registry_order() -> None:
    text = render()
    fams = [text.index(f"\n### {name}\n") for name in FAMILIES]
    terms = [text.index(f"\n### {name} (term)\n") for name in TERMS]
    assert fams == sorted(fams) and terms == sorted(terms) and fams[-1] < terms[0]
    for fam in FAMILIES.values():
        assert fam.doc.splitlines()[0] in text  # the maths, verbatim
    assert "| y[p,s] ∈ {0,1} | `y` designation | `data.pairs` |" in text  # symbol table
    assert "(physical within T_s, outreach within O_s)" in text  # a continued table row
    assert "| `assignment` | variables, demand_balance, linking, travel_cutoff |" in text
    assert "| `pair_volume_min` | min_volume | Σ_k x ≥ m_s·y |" in text  # row-block table


def test_each_family_lists_the_row_blocks_the_builder_makes() -> None:
    """The row blocks under a family are the ones a build adds for it (the row-block table
    of ``model/families/__init__.py``, held to the builder by ``tests/test_registry.py``)."""
    import re

    text = render()
    sections = re.split(r"\n### ", text)
    listed = {sec.split("\n", 1)[0]: re.findall(r"`([a-z_<>]+)`", line)
              for sec in sections for line in sec.splitlines()
              if line.startswith("- **Row blocks:**")}
    assert listed["min_volume"] == ["pair_volume_min"]
    assert listed["linking"] == ["arc_volume_max"]
    assert listed["capacity"] == ["provider_volume_max"]
    assert listed["count_bounds"] == ["designation_count_range", "advisory_count_range"]
    assert set(listed) <= set(FAMILIES)


def test_every_file_the_page_names_exists() -> None:
    """The checker rule modules and the definitions the page points to are real files."""
    import re

    text = render()
    named = set(re.findall(r"`((?:specialeplan/checker/rules|model/families)/\w+\.py)`", text))
    assert "specialeplan/checker/rules/volume.py" in named
    assert "model/families/assignment.py" in named
    missing = sorted(p for p in named if not (ROOT / p).is_file())
    assert not missing, missing


def test_check_exits_1_on_a_stale_page_and_writes_it(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    page = tmp_path / "model.md"
    assert main(["--check", "--output", str(page)]) == 1  # missing
    page.write_text("old\n", encoding="utf-8")
    assert main(["--check", "--output", str(page)]) == 1
    assert COMMAND in capsys.readouterr().err
    assert main(["--output", str(page)]) == 0
    assert page.read_text(encoding="utf-8") == render()
    assert main(["--check", "--output", str(page)]) == 0
    assert main(["--output", str(tmp_path / "no" / "such" / "model.md")]) == 2


def test_rest_tables_become_markdown_tables() -> None:
    """Each simple table ends at the border before a blank line; a row with an empty first
    column continues the row above; ``code`` becomes `code` and | is escaped."""
    from specialeplan.model.docs import _rst_to_markdown

    doc = "\n".join([
        "Symbols:", "", "===== ======", "a     b", "===== ======", "``x`` one", "      two",
        "y     Σ |y|", "===== ======", "", "Modules:", "", "== ==", "m  f", "== ==",
        "c  d", "== ==", ""])
    assert _rst_to_markdown(doc) == "\n".join([
        "Symbols:", "", "| a | b |", "|---|---|", "| `x` | one two |", "| y | Σ \\|y\\| |",
        "", "Modules:", "", "| m | f |", "|---|---|", "| c | d |"])
