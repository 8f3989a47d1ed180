"""CI's dependency audit (scripts/audit_requirements.py) fails on a known vulnerability and never
passes an audit of nothing in silence."""

import importlib.util
from pathlib import Path

import pytest

spec = importlib.util.spec_from_file_location(
    "audit_requirements", Path(__file__).parents[1] / "scripts" / "audit_requirements.py"
)
audit = importlib.util.module_from_spec(spec)
spec.loader.exec_module(audit)

CLEAN = {"name": "flask", "version": "3.1.3", "vulns": []}
VULNERABLE = {
    "name": "requests",
    "version": "2.19.0",
    "vulns": [{"id": "PYSEC-2018-28", "fix_versions": ["2.20.0"], "aliases": ["CVE-2018-18074"], "description": "..."}],
}
SKIPPED = {
    "name": "gunicorn",
    "skip_reason": "Dependency not found on PyPI and could not be audited: gunicorn (27.0.1)",
}


def test_a_known_vulnerability_fails_the_audit_and_names_the_fix():
    code, lines = audit.judge({"dependencies": [CLEAN, VULNERABLE]})
    assert code == 1
    assert "requests 2.19.0: PYSEC-2018-28 (fixed in 2.20.0)" in lines
    assert "pip-audit: 2 of 2 packages audited, 1 with a known vulnerability" in lines


def test_a_clean_audit_passes():
    assert audit.judge({"dependencies": [CLEAN]}) == (
        0,
        ["pip-audit: 1 of 1 packages audited, 0 with a known vulnerability"],
    )


@pytest.mark.parametrize("strict, code", [(False, 0), (True, 1)])
def test_packages_that_could_not_be_audited_are_counted_and_fail_a_strict_audit(strict, code):
    result, lines = audit.judge({"dependencies": [CLEAN, SKIPPED]}, strict=strict)
    assert result == code
    assert "pip-audit: 1 of 2 packages audited, 0 with a known vulnerability" in lines
    assert any(line.startswith("WARNING: 1 packages could not be audited") for line in lines)
