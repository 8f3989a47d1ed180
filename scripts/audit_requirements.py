"""pip-audit over requirements.txt, as CI runs it: a known vulnerability fails the run.

pip-audit looks up each pinned release in PyPI's advisory data (``/pypi/<name>/<version>/json``).
A release it cannot look up is only "skipped" by pip-audit, which then says "No known
vulnerabilities found" and exits 0: an audit of nothing would pass in silence. This script counts
what was really audited and says so; with ``--strict`` (or ``AUDIT_STRICT=1``) a skip fails too.

    python scripts/audit_requirements.py [--strict] [requirements.txt]
"""

import json
import os
import subprocess
import sys


def judge(report: dict, strict: bool = False) -> tuple[int, list[str]]:
    """The exit code and the lines to print for one pip-audit JSON report."""
    deps = report.get("dependencies", [])
    vulnerable = [d for d in deps if d.get("vulns")]
    skipped = [d for d in deps if d.get("skip_reason")]
    lines = [
        f"{d['name']} {d['version']}: {v['id']} (fixed in {', '.join(v.get('fix_versions') or []) or 'no release yet'})"
        for d in vulnerable
        for v in d["vulns"]
    ]
    lines.append(
        f"pip-audit: {len(deps) - len(skipped)} of {len(deps)} packages audited, "
        f"{len(vulnerable)} with a known vulnerability"
    )
    if skipped:
        lines.append(
            f"WARNING: {len(skipped)} packages could not be audited, e.g. {skipped[0]['skip_reason']}"
            " (is PyPI's per-release JSON reachable from here?)"
        )
    return (1 if vulnerable or (skipped and strict) else 0), lines


def main(argv: list[str]) -> int:
    strict = "--strict" in argv or os.environ.get("AUDIT_STRICT") == "1"
    requirements = next((a for a in argv if not a.startswith("--")), "requirements.txt")
    run = subprocess.run(
        [sys.executable, "-m", "pip_audit", "-r", requirements, "-f", "json", "--progress-spinner", "off"],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        report = json.loads(run.stdout)
    except ValueError:
        print(run.stderr or run.stdout, file=sys.stderr)
        print("pip-audit did not produce a report", file=sys.stderr)
        return run.returncode or 1
    code, lines = judge(report, strict)
    print("\n".join(lines))
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
