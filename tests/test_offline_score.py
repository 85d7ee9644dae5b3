"""One table of scoring cases (tests/support/scoring_cases.json) run through both scorers: the server's
``checklists.score`` and the phone's static/score.js (in node), which scores a draft made without signal."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from inspector import checklists, offline

ROOT = Path(__file__).resolve().parents[1]
CASES = json.loads((ROOT / "tests" / "support" / "scoring_cases.json").read_text(encoding="utf-8"))
NODE = shutil.which("node")

RUN_IN_NODE = """
const {score} = require(process.argv[1]);
const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));
process.stdout.write(JSON.stringify(cases.map(c => score(c.rules, c.answers))));
"""


@pytest.fixture(scope="module")
def catalog():
    return checklists.load_folder(ROOT / "forms")


def python_score(checklist, answers: dict) -> dict:
    result = checklists.score(checklist, {item: {"value": value} for item, value in answers.items()})
    return {"percent": result.percent, "failed": list(result.failed), "critical_failed": list(result.critical_failed),
            "per_section": [list(pair) for pair in result.per_section]}


@pytest.mark.parametrize("case", CASES, ids=[case["case"] for case in CASES])
def test_the_server_scores_each_case_as_the_table_says(catalog, case):
    assert python_score(catalog[case["checklist"]], case["answers"]) == case["expected"]


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_the_phone_scores_every_case_as_the_server_does(catalog):
    payload = [{"rules": offline.scoring_rules(catalog[case["checklist"]]), "answers": case["answers"]}
               for case in CASES]
    done = subprocess.run([NODE, "-e", RUN_IN_NODE, str(ROOT / "static" / "score.js")], input=json.dumps(payload),
                          capture_output=True, text=True, check=True, timeout=60)
    results = json.loads(done.stdout)
    for case, result in zip(CASES, results, strict=True):
        assert result == case["expected"], case["case"]


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_the_phone_rounds_as_python_does_ties_to_even():
    values = [12.25, 12.35, 12.75, 0.05, 0.15, 0.25, 99.95, 87.5, 66.66666666666667, 33.333333333333336, 100.0, 0.0,
              100 * 7 / 9, 100 * 2.5 / 3.5, 45.45, 54.55]
    script = ("const {round1} = require(process.argv[1]);"
              f"process.stdout.write(JSON.stringify({json.dumps(values)}.map(round1)));")
    done = subprocess.run([NODE, "-e", script, str(ROOT / "static" / "score.js")], capture_output=True, text=True,
                          check=True, timeout=60)
    assert json.loads(done.stdout) == [round(v, 1) for v in values]
