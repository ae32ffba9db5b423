"""The one compatible change abidiff cannot be told about reliably: a
versioned option struct (dbsafe_*_options) that grew by appending fields.

libabigail 2.2's has_data_member_inserted_at suppression also hides a field
that moved, so scripts/check-abi does not use it. Instead, for each option
struct of CURRENT whose fields start with exactly the fields of BASELINE's
(same names, offsets and types) and which is larger, this writes OUT with
that struct cut back to BASELINE's fields and size, and prints the fields
that were appended. abidiff then compares BASELINE with OUT: any other
change to an option struct is still its to report.

Usage: abi_options.py BASELINE CURRENT OUT
"""

import re
import sys

CLASS = re.compile(
    r"^( *)<class-decl name='(dbsafe_\w+_options)' size-in-bits='(\d+)'([^>]*)>\n(.*?)^\1</class-decl>\n",
    re.M | re.S,
)
MEMBER = re.compile(r"^ *<data-member [^>]*>\n *<var-decl [^\n]*\n *</data-member>\n", re.M)
NAME = re.compile(r"<var-decl name='([^']*)'")


def members(body: str) -> list[str]:
    return [re.sub(r"^ +", "", m, flags=re.M) for m in MEMBER.findall(body)]


def main() -> int:
    if len(sys.argv) != 4:
        print("usage: abi_options.py BASELINE CURRENT OUT", file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="utf-8") as f:
        baseline = f.read()
    with open(sys.argv[2], encoding="utf-8") as f:
        current = f.read()
    before: dict[str, tuple[int, list[str]]] = {}
    for m in CLASS.finditer(baseline):
        before.setdefault(m.group(2), (int(m.group(3)), members(m.group(5))))
    grown: dict[str, list[str]] = {}

    def cut(m: re.Match[str]) -> str:
        indent, name, size, rest, body = m.groups()
        if name not in before:
            return m.group(0)
        old_size, old_members = before[name]
        new_members = members(body)
        if int(size) <= old_size or new_members[: len(old_members)] != old_members:
            return m.group(0)
        kept = MEMBER.findall(body)[: len(old_members)]
        grown[name] = [NAME.search(x).group(1) for x in new_members[len(old_members):]]  # type: ignore[union-attr]
        return f"{indent}<class-decl name='{name}' size-in-bits='{old_size}'{rest}>\n{''.join(kept)}{indent}</class-decl>\n"

    out = CLASS.sub(cut, current)
    with open(sys.argv[3], "w", encoding="utf-8") as f:
        f.write(out)
    for name, fields in sorted(grown.items()):
        print(f"  {name}: fields appended: {', '.join(fields)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
