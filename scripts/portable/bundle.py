#!/usr/bin/python3
"""Makes a native module self-contained, and checks that it is.

The portable build (scripts/build-portable) links everything it can
statically; what has no static archive in Debian (GSSAPI and LDAP, which
libpq.a calls, and what they need) is copied beside the module by this script
and found through an $ORIGIN run path, the way auditwheel repairs a wheel.

  bundle.py bundle MODULE --libdir DIR
      copies every shared library MODULE needs, except glibc's own, into DIR,
      gives each copy the run path $ORIGIN and MODULE the run path
      $ORIGIN/<DIR relative to MODULE>.
  bundle.py wheel WHEEL --outdir DIR
      the same for the extension inside a wheel (libraries under
      dbsafe/.libs), rewrites RECORD, and retags the wheel manylinux_2_N for
      the newest glibc symbol version the wheel needs.
  bundle.py check ROOT MODULE [--max-glibc 2.34] [--allow-newer SYMBOL ...]
      fails unless ldd resolves every library of MODULE and of every library
      under ROOT to a file under ROOT or to glibc, and no file needs a GLIBC_
      symbol version above --max-glibc (except the symbols --allow-newer
      names). Prints what it found either way.
"""

import argparse
import base64
import csv
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

# glibc's own libraries: every glibc system has them, and they must come from
# the system (a bundled copy would not match its libc.so.6).
GLIBC_SONAMES = {
    "linux-vdso.so.1",
    "ld-linux-x86-64.so.2",
    "libc.so.6",
    "libm.so.6",
    "libpthread.so.0",
    "libdl.so.2",
    "librt.so.1",
    "libresolv.so.2",
}


class BundleError(Exception):
    pass


def clean_env() -> dict:
    """The environment for ldd: no LD_LIBRARY_PATH or LD_PRELOAD, so only the
    run paths and the system's default directories are searched."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LD_")}
    env["LC_ALL"] = "C"
    return env


def ldd(path: Path) -> list:
    """(soname, resolved path or None) for every library `path` loads."""
    result = subprocess.run(["ldd", str(path)], capture_output=True, text=True, env=clean_env())
    if result.returncode != 0:
        raise BundleError(f"ldd {path} failed: {result.stderr.strip() or result.stdout.strip()}")
    entries = []
    for line in result.stdout.splitlines():
        line = line.strip()
        match = re.match(r"^(\S+) => (not found|(\S+) \(0x[0-9a-f]+\))$", line)
        if match:
            entries.append((match.group(1), match.group(3)))
            continue
        match = re.match(r"^(\S+) \(0x[0-9a-f]+\)$", line)  # vdso, the dynamic loader
        if match:
            entries.append((os.path.basename(match.group(1)), match.group(1)))
            continue
        if line and line != "statically linked":
            raise BundleError(f"ldd {path}: unexpected line {line!r}")
    return entries


def needed(path: Path) -> list:
    out = subprocess.run(["patchelf", "--print-needed", str(path)], capture_output=True, text=True, check=True)
    return out.stdout.split()


def set_rpath(path: Path, rpath: str) -> None:
    subprocess.run(["patchelf", "--set-rpath", rpath, str(path)], check=True)


def bundle(module: Path, libdir: Path) -> list:
    """Copies the non-glibc libraries `module` needs into `libdir`; returns
    their names."""
    module = module.resolve()
    libdir.mkdir(parents=True, exist_ok=True)
    copied = []
    for soname, resolved in ldd(module):
        if soname in GLIBC_SONAMES:
            continue
        if resolved is None:
            raise BundleError(
                f"{module} needs {soname}, which is not installed here, so it cannot be bundled; "
                "install the Debian package that ships it (apt-file search {soname}) and rerun"
            )
        target = libdir / soname
        # Copy then rename: a half-written library never has the final name.
        temporary = libdir / f".{soname}.tmp"
        shutil.copyfile(os.path.realpath(resolved), temporary)
        os.chmod(temporary, 0o755)
        os.replace(temporary, target)
        set_rpath(target, "$ORIGIN")
        copied.append(soname)
    relative = os.path.relpath(libdir.resolve(), module.parent)
    set_rpath(module, "$ORIGIN" if relative == "." else f"$ORIGIN/{relative}")
    return copied


def glibc_versions(path: Path) -> dict:
    """{symbol: version} for every dynamic symbol `path` needs from glibc with
    a GLIBC_ version."""
    out = subprocess.run(["objdump", "-T", str(path)], capture_output=True, text=True, check=True, env=clean_env())
    symbols = {}
    for line in out.stdout.splitlines():
        # Undefined symbols ("*UND*") are what the file needs from others.
        match = re.search(r"\*UND\*\s+\S+\s+(?:\(?)GLIBC_([0-9.]+)\)?\s+(\S+)$", line)
        if match:
            symbols[match.group(2)] = match.group(1)
    return symbols


def version_key(version: str) -> tuple:
    return tuple(int(part) for part in version.split("."))


def elf_files(root: Path, module: Path) -> list:
    files = [module.resolve()]
    for path in sorted(root.rglob("*.so*")):
        if path.is_file() and path.resolve() not in files:
            with open(path, "rb") as handle:
                if handle.read(4) == b"\x7fELF":
                    files.append(path.resolve())
    return files


def check(root: Path, module: Path, max_glibc: str, allow_newer: list) -> list:
    """Returns the problems found (empty: the package is self-contained)."""
    root = root.resolve()
    problems = []
    newest = "2.2.5"
    for path in elf_files(root, module):
        name = path.relative_to(root) if path.is_relative_to(root) else path
        for soname, resolved in ldd(path):
            if soname in GLIBC_SONAMES:
                print(f"  {name}: {soname} (glibc)")
            elif resolved is None:
                problems.append(f"{name}: {soname} not found")
            elif Path(resolved).resolve().is_relative_to(root):
                print(f"  {name}: {soname} => {Path(resolved).resolve().relative_to(root)}")
            else:
                problems.append(f"{name}: {soname} resolves outside the package, to {resolved}")
        for symbol, version in sorted(glibc_versions(path).items()):
            if version_key(version) > version_key(newest):
                newest = version
            if version_key(version) > version_key(max_glibc):
                if symbol in allow_newer:
                    print(f"  {name}: {symbol}@GLIBC_{version} (allowed above {max_glibc})")
                else:
                    problems.append(f"{name}: {symbol}@GLIBC_{version} is newer than GLIBC_{max_glibc}")
    print(f"newest GLIBC_ symbol version needed: {newest}")
    return problems


def record_line(path: Path, arcname: str) -> list:
    data = path.read_bytes()
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return [arcname, f"sha256={digest}", str(len(data))]


def newest_glibc(files: list) -> str:
    newest = "2.17"
    for path in files:
        for version in glibc_versions(path).values():
            if version_key(version) > version_key(newest):
                newest = version
    return newest


def repair_wheel(wheel: Path, outdir: Path) -> Path:
    with tempfile.TemporaryDirectory(prefix="dbsafe-wheel-") as tmp:
        tree = Path(tmp) / "tree"
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(tree)
        modules = sorted((tree / "dbsafe").glob("_dbsafe*.so"))
        if len(modules) != 1:
            raise BundleError(f"{wheel}: expected one dbsafe/_dbsafe*.so, found {len(modules)}")
        libdir = tree / "dbsafe" / ".libs"
        copied = bundle(modules[0], libdir)
        print(f"bundled into dbsafe/.libs: {', '.join(copied) or 'nothing'}")

        newest = newest_glibc([modules[0], *sorted(libdir.iterdir())])
        major, minor = version_key(newest)[:2]
        platform = f"manylinux_{major}_{minor}_x86_64"
        dist_info = next(tree.glob("*.dist-info"))
        wheel_meta = dist_info / "WHEEL"
        lines = wheel_meta.read_text(encoding="utf-8").splitlines()
        tags = []
        for line in lines:
            if line.startswith("Tag: "):
                python_tag, abi_tag, _ = line[5:].split("-")
                tags.append(f"{python_tag}-{abi_tag}-{platform}")
        if not tags:
            raise BundleError(f"{wheel}: {wheel_meta.name} has no Tag line")
        other = [line for line in lines if not line.startswith("Tag: ") and not line.startswith("Root-Is-Purelib")]
        wheel_meta.write_text(
            "\n".join(other + ["Root-Is-Purelib: false"] + [f"Tag: {t}" for t in tags]) + "\n", encoding="utf-8"
        )

        record = dist_info / "RECORD"
        rows = []
        files = sorted(p for p in tree.rglob("*") if p.is_file() and p != record)
        for path in files:
            rows.append(record_line(path, path.relative_to(tree).as_posix()))
        rows.append([record.relative_to(tree).as_posix(), "", ""])
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        record.write_text(buffer.getvalue(), encoding="utf-8")

        name, version = wheel.name.split("-")[:2]
        python_tag, abi_tag, _ = tags[0].split("-")
        outdir.mkdir(parents=True, exist_ok=True)
        target = outdir / f"{name}-{version}-{python_tag}-{abi_tag}-{platform}.whl"
        temporary = outdir / f".{target.name}.tmp"
        with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as archive:
            # dist-info last, as the wheel format recommends.
            for path in [p for p in files if dist_info not in p.parents] + [
                p for p in files if dist_info in p.parents
            ] + [record]:
                info = zipfile.ZipInfo(path.relative_to(tree).as_posix(), date_time=(1980, 1, 1, 0, 0, 0))
                info.external_attr = (os.stat(path).st_mode & 0o777 | 0o100000) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, path.read_bytes())
        os.replace(temporary, target)
        print(f"wrote {target}")
        return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("bundle")
    p.add_argument("module", type=Path)
    p.add_argument("--libdir", type=Path, required=True)
    p = commands.add_parser("wheel")
    p.add_argument("wheel", type=Path)
    p.add_argument("--outdir", type=Path, required=True)
    p = commands.add_parser("check")
    p.add_argument("root", type=Path)
    p.add_argument("module", type=Path)
    p.add_argument("--max-glibc", default="2.34")
    p.add_argument("--allow-newer", nargs="*", default=[])
    args = parser.parse_args()
    try:
        if args.command == "bundle":
            copied = bundle(args.module, args.libdir)
            print(f"bundled into {args.libdir}: {', '.join(copied) or 'nothing'}")
        elif args.command == "wheel":
            repair_wheel(args.wheel, args.outdir)
        else:
            print(f"checking {args.module} in {args.root}")
            problems = check(args.root, args.module, args.max_glibc, args.allow_newer)
            if problems:
                for problem in problems:
                    print(f"error: {problem}", file=sys.stderr)
                return 1
            print("self-contained: every library resolves to the package or to glibc")
    except (BundleError, subprocess.CalledProcessError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
