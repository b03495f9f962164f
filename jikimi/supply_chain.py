"""Supply-chain gate run by `make audit`: no known vulnerability in the locked dependencies.

`pip-audit` asks PyPI per pinned version. Where that data is unreachable (a mirror that serves
only project pages), the gate falls back to the project page, whose `vulnerabilities` list
describes the latest release: exact for every pin that *is* the latest release. Whatever neither
source could audit is listed by name, never passed off as clean. Exit 1 on any known
vulnerability not justified in `supply-chain-exceptions.toml`; 0 otherwise.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

PYPI_PROJECT = "https://pypi.org/pypi/{name}/json"
_PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s\\;]+)")


@dataclass
class AuditReport:
    vulnerable: dict[str, list[str]] = field(default_factory=dict)  # "name==version" -> advisory ids
    audited: list[str] = field(default_factory=list)
    unaudited: dict[str, str] = field(default_factory=dict)  # name -> why


def pins(lock: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        match = _PIN.match(line.strip())
        if match:
            out[match.group(1).lower()] = match.group(2)
    return out


def run_pip_audit(lock: Path) -> dict[str, dict[str, object]]:
    proc = subprocess.run(  # nosec B603 - our own interpreter, fixed arguments, no shell
        [
            sys.executable,
            "-m",
            "pip_audit",
            "-r",
            str(lock),
            "--require-hashes",
            "--disable-pip",
            "-f",
            "json",
            "--progress-spinner",
            "off",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    try:
        data = json.loads(proc.stdout or "{}")
    except json.JSONDecodeError:
        return {}
    return {str(d["name"]).lower(): d for d in data.get("dependencies", [])}


def latest_release_vulns(name: str, version: str) -> list[str] | None:
    """Advisory ids for `name==version` when it is the latest release; None when unknown."""
    url = PYPI_PROJECT.format(name=name)
    try:
        with urllib.request.urlopen(url, timeout=20) as response:  # nosec B310 - a fixed https:// PyPI URL
            data = json.load(response)
    except (OSError, ValueError):
        return None
    if str(data.get("info", {}).get("version")) != version:
        return None
    return [str(v.get("id")) for v in data.get("vulnerabilities", [])]


def audit(lock: Path) -> AuditReport:
    report = AuditReport()
    results = run_pip_audit(lock)
    for name, version in sorted(pins(lock).items()):
        entry = results.get(name)
        key = f"{name}=={version}"
        vulns = entry.get("vulns", []) if entry is not None else None
        # A malformed entry is not evidence of "clean": it falls through to the project-page check.
        if entry is not None and "skip_reason" not in entry and isinstance(vulns, list):
            ids = [str(v.get("id")) for v in vulns if isinstance(v, dict)]
            report.audited.append(key)
            if ids:
                report.vulnerable[key] = ids
            continue
        ids_or_none = latest_release_vulns(name, version)
        if ids_or_none is None:
            report.unaudited[key] = "no per-version vulnerability data reachable, and not the latest release"
            continue
        report.audited.append(key)
        if ids_or_none:
            report.vulnerable[key] = ids_or_none
    return report


def exceptions(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {str(k): str(v.get("why", "")) for k, v in data.get("advisory", {}).items() if v.get("why")}


def main() -> int:
    root = Path(__file__).resolve().parent.parent
    report = audit(root / "requirements.lock")
    allowed = exceptions(root / "supply-chain-exceptions.toml")
    blocking = {k: [i for i in ids if i not in allowed] for k, ids in report.vulnerable.items()}
    blocking = {k: ids for k, ids in blocking.items() if ids}
    print(
        f"dependency audit: {len(report.audited)} pins audited, {len(report.unaudited)} could not be audited"
    )
    for key, why in sorted(report.unaudited.items()):
        print(f"  not audited: {key} ({why})")
    for key, ids in sorted(report.vulnerable.items()):
        print(f"  known vulnerability: {key}: {', '.join(ids)}")
    if blocking:
        print(
            "dependency audit FAILED: upgrade the pins above (make lock) "
            "or justify them in supply-chain-exceptions.toml"
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
