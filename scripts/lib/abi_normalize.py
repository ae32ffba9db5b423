"""Makes abidw's output independent of where the library was built.

abidw names each translation unit (<abi-instr path='...'>) by the path the
compiler recorded: absolute, or relative to the build directory when ccache's
CCACHE_BASEDIR rewrote it. It also orders the units by that path. This cuts
each path to its repository-relative part (lib/..., capi/..., cli/...) and
sorts the units by it, so two g++ builds of the same sources give the same
file. Usage: abi_normalize.py IN OUT
"""

import re
import sys

UNIT = re.compile(r"^  <abi-instr [^>]*?(/>|>\n.*?^  </abi-instr>)\n", re.M | re.S)
PATH = re.compile(r"(<abi-instr [^>]*path=')([^']*)'")
SOURCE_DIRS = ("lib/", "capi/", "cli/", "include/")


def repo_relative(path: str) -> str:
    # The last occurrence of a top-level source directory: "/home/me/dbsafe/lib/a.cpp"
    # and "../lib/a.cpp" both become "lib/a.cpp".
    best = -1
    for top in SOURCE_DIRS:
        i = path.rfind("/" + top)
        if i >= 0 and (best < 0 or i > best):
            best = i
    if best >= 0:
        return path[best + 1:]
    return path


def unit_path(unit: str) -> str:
    m = PATH.search(unit)
    return m.group(2) if m else ""


def main() -> int:
    if len(sys.argv) != 3:
        print("usage: abi_normalize.py IN OUT", file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="utf-8") as f:
        text = f.read()
    units = [m.group(0) for m in UNIT.finditer(text)]
    if not units:
        print(f"error: {sys.argv[1]}: no <abi-instr> units: is it abidw output?", file=sys.stderr)
        return 2
    first = UNIT.search(text)
    assert first is not None
    head = text[: first.start()]
    tail = UNIT.sub("", text[first.start():])
    fixed = [PATH.sub(lambda m: m.group(1) + repo_relative(m.group(2)) + "'", u, count=1) for u in units]
    fixed.sort(key=unit_path)
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        f.write(head + "".join(fixed) + tail)
    return 0


if __name__ == "__main__":
    sys.exit(main())
