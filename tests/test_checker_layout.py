"""The checker is navigable by name: the rule of a family defined in
``model/families/<module>.py`` is in ``specialeplan/checker/rules/<module>.py``, and no rule
module grows past a size a newcomer can read."""

from __future__ import annotations

import sys
from pathlib import Path

from specialeplan.checker import RULES
from specialeplan.checker import rules as rules_pkg
from specialeplan.checker.rules import TERM_RULES
from specialeplan.model.families import FAMILIES, TERMS

MAX_LINES = 600


def test_each_rule_lives_in_the_module_named_like_its_family_module() -> None:
    wrong = []
    for name, fam in FAMILIES.items():
        if fam.unchecked:  # registered with a reason why it needs no rule
            continue
        model_module = fam.build.__module__.rsplit(".", 1)[-1]
        rule_module = RULES[name].__module__.rsplit(".", 1)[-1]
        if model_module != rule_module:
            wrong.append(f"{name}: family in model/families/{model_module}.py, rule in "
                         f"checker/rules/{rule_module}.py")
    assert not wrong, "move the rule next to its family's name:\n" + "\n".join(wrong)


def test_each_term_rule_lives_in_the_module_named_like_its_term_module() -> None:
    wrong = [f"{name}: term in model/families/{model}.py, term rule in checker/rules/{rule}.py"
             for name, t in TERMS.items()
             if (model := t.build.__module__.rsplit(".", 1)[-1])
             != (rule := TERM_RULES[name].__module__.rsplit(".", 1)[-1])]
    assert not wrong, "move the term rule next to its term's name:\n" + "\n".join(wrong)


def test_rule_modules_stay_small() -> None:
    folder = Path(sys.modules[rules_pkg.__name__].__file__).parent
    sizes = {p.name: len(p.read_text(encoding="utf-8").splitlines())
             for p in folder.glob("*.py")}
    assert {f"{m}.py" for m in rules_pkg.MODULES} <= set(sizes)
    big = {n: s for n, s in sizes.items() if s > MAX_LINES}
    assert not big, f"checker rule modules over {MAX_LINES} lines: {big}"
