"""scripts/check-abi can fail: it compares mutated copies of the committed
baseline (abi/libdbsafe.abi) and must accept exactly the changes the C ABI
promise allows (docs/C_API.md). No library is dumped here: abidiff compares
two abixml files, so this runs in a second.

Usage: check_abi_test.py REPO_ROOT
"""

import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(sys.argv[1]).resolve()
BASELINE = (ROOT / "abi" / "libdbsafe.abi").read_text(encoding="utf-8")
failures = []


def without_function(text: str, name: str) -> str:
    out = re.sub(rf"^ *<elf-symbol name='{name}' [^\n]*\n", "", text, flags=re.M)
    out = re.sub(
        rf"^ *<function-decl name='{name}' .*?</function-decl>\n", "", out, flags=re.M | re.S
    )
    assert out != text and name not in out, f"{name} not found in the baseline"
    return out


def call_options_without_payload(text: str) -> str:
    # dbsafe_call_options as it was before its last field was appended.
    pattern = re.compile(
        r"(<class-decl name='dbsafe_call_options' size-in-bits=')384('.*?)"
        r"\n *<data-member access='public' layout-offset-in-bits='320'>\n"
        r" *<var-decl name='payload' [^\n]*\n *</data-member>",
        re.S,
    )
    out, n = pattern.subn(r"\g<1>320\2", text)
    assert n > 0, "dbsafe_call_options with a payload field not found in the baseline"
    return out


def call_options_field_moved(text: str) -> str:
    out, n = re.subn(
        r"(layout-offset-in-bits=')128('>\n *<var-decl name='timeout_ms')", r"\g<1>160\2", text
    )
    assert n > 0, "dbsafe_call_options.timeout_ms not found in the baseline"
    return out


def parameter_retyped(text: str) -> str:
    # dbsafe_error_line's return type swapped between int and unsigned int:
    # a signature change a C caller would not notice at compile time.
    pattern = re.compile(
        r"(<function-decl name='dbsafe_error_line' [^\n]*\n(?: *<parameter [^\n]*\n)*"
        r" *<return type-id=')([0-9a-f]+)(')"
    )
    m = pattern.search(text)
    assert m, "dbsafe_error_line not found in the baseline"
    other = "95e97e5e" if m.group(2) != "95e97e5e" else "f0981eeb"
    return pattern.sub(lambda m: m.group(1) + other + m.group(3), text)


def check(name: str, baseline: str, current: str, want_rc: int, want_text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        b, c = Path(tmp) / "baseline.abi", Path(tmp) / "current.abi"
        b.write_text(baseline, encoding="utf-8")
        c.write_text(current, encoding="utf-8")
        r = subprocess.run(
            [ROOT / "scripts" / "check-abi", "--baseline", b, "--current", c],
            capture_output=True,
            text=True,
        )
    out = r.stdout + r.stderr
    if r.returncode != want_rc or want_text not in out:
        failures.append(f"{name}: exit {r.returncode} (want {want_rc}, {want_text!r}):\n{out}")
    else:
        print(f"ok: {name}")


check("unchanged", BASELINE, BASELINE, 0, "ABI OK: the C ABI matches")
check(
    "a function removed",
    BASELINE,
    without_function(BASELINE, "dbsafe_version_string"),
    1,
    "ABI BROKEN",
)
check(
    "a function added",
    without_function(BASELINE, "dbsafe_version_string"),
    BASELINE,
    0,
    "compatible additions",
)
check(
    "a field appended to a versioned option struct",
    call_options_without_payload(BASELINE),
    BASELINE,
    0,
    "dbsafe_call_options: fields appended: payload",
)
check(
    "a field of an option struct removed",
    BASELINE,
    call_options_without_payload(BASELINE),
    1,
    "ABI BROKEN",
)
check(
    "a field appended to an option struct while another moved",
    call_options_without_payload(BASELINE),
    call_options_field_moved(BASELINE),
    1,
    "ABI BROKEN",
)
check(
    "a field of an option struct moved",
    BASELINE,
    call_options_field_moved(BASELINE),
    1,
    "ABI BROKEN",
)
check("a return type changed", BASELINE, parameter_retyped(BASELINE), 1, "ABI BROKEN")

if failures:
    print("\n\n".join(failures))
    sys.exit(1)
