"""Convert the packse-format resolver scenarios (../shared/scenarios) into tests/scenarios/cases.jsonl.

    python tests/scenarios/convert.py [SOURCE_DIR]

Keeps facts only (packages, requirements, environment, options, expected
outcome), not the prose, in one compact file (a JSON object per line, sorted) that the suite
reads from a fresh clone. Defaults are made explicit so readers need no
knowledge of the packse format: a version's requires-python defaults to
">=3.12", the target Python to 3.12, wheels and sdists both to present.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

HERE = Path(__file__).resolve().parent
DEFAULT_SOURCE = HERE.parent.parent.parent / "shared" / "scenarios"


def convert_case(data: dict, group: str) -> dict:
    env = data.get("environment", {})
    options = dict(data.get("resolver_options", {}))
    packages = {}
    for name, package in sorted(data.get("packages", {}).items()):
        versions = {}
        for version, spec in sorted(package.get("versions", {}).items()):
            versions[version] = {
                "requires": list(spec.get("requires", [])),
                "extras": {k: list(v) for k, v in sorted(spec.get("extras", {}).items())},
                "requires_python": spec.get("requires_python", ">=3.12"),
                "wheel": spec.get("wheel", True),
                "sdist": spec.get("sdist", True),
                "yanked": spec.get("yanked", False),
                "wheel_tags": list(spec.get("wheel_tags", [])),
            }
        packages[name] = versions
    expected = data["expected"]
    return {
        "name": data["name"],
        "group": group,
        "root": {"requires": list(data["root"].get("requires", [])),
                 "requires_python": data["root"].get("requires_python")},
        "python": options.pop("python", None) or env.get("python", "3.12"),
        "options": options,
        "packages": packages,
        "expected": {"satisfiable": expected["satisfiable"], "packages": dict(sorted(expected.get("packages", {}).items()))},
    }


def convert(source: Path) -> list[dict]:
    cases = []
    for path in sorted(source.rglob("*.toml")):
        cases.append(convert_case(tomllib.loads(path.read_text(encoding="utf-8")), path.parent.name))
    return sorted(cases, key=lambda case: (case["group"], case["name"]))


def main(argv: list[str]) -> int:
    source = Path(argv[0]) if argv else DEFAULT_SOURCE
    cases = convert(source)
    out = HERE / "cases.jsonl"
    lines = [json.dumps(case, sort_keys=True, separators=(",", ":")) for case in cases]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(cases)} cases to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
