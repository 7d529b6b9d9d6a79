"""The score of the last `mutmut run`: killed mutants over all mutants that are not
listed as equivalent (tools/mutation/equivalent.txt). Exits 1 below the floor, listing
the mutants that lived, so that a test can be written for each.

Usage: python scripts/mutation_score.py FLOOR_PERCENT
"""

import subprocess
import sys
from collections import Counter
from pathlib import Path

EQUIVALENT = Path(__file__).resolve().parent.parent / "tools" / "mutation" / "equivalent.txt"


def equivalent() -> set[str]:
    names = set()
    for line in EQUIVALENT.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            names.add(line.split()[0])
    return names


def statuses() -> dict[str, str]:
    mutmut = Path(sys.executable).parent / "mutmut"
    out = subprocess.run(
        [str(mutmut), "results", "--all", "true"], capture_output=True, text=True, check=True
    ).stdout
    found = {}
    for line in out.splitlines():
        name, sep, status = line.strip().partition(": ")
        if sep:
            found[name] = status
    return found


def main() -> int:
    floor = float(sys.argv[1])
    found, listed = statuses(), equivalent()
    judged = {name: status for name, status in found.items() if name not in listed}
    counts = Counter(judged.values())
    killed = counts["killed"]
    score = 100.0 * killed / len(judged) if judged else 100.0
    print(
        f"mutation score: {score:.1f} % ({killed} killed of {len(judged)}; "
        f"{len(listed & found.keys())} equivalent set aside; by status: {dict(counts)})"
    )
    for name in sorted(listed - found.keys()):
        print(f"  listed as equivalent but no such mutant now: {name}")
    for name in sorted(n for n in listed & found.keys() if found[n] == "killed"):
        print(f"  listed as equivalent but killed: {name}")
    lived = sorted(name for name, status in judged.items() if status != "killed")
    if score < floor:
        print(f"below the floor of {floor} %; these lived (mutmut show NAME):")
        for name in lived:
            print(f"  {name}: {judged[name]}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
