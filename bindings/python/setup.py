"""Builds dbsafe._dbsafe with CMake from the repository root.

The extension links the static dbsafe library, so the whole C++ project is
configured (Release, Python binding only) and the `dbsafe_python` target is
built. Settings, all optional, through the environment:

  DBSAFE_SOURCE_DIR     the repository root (default: ../.. from this file)
  DBSAFE_CMAKE_BUILD_DIR  where CMake builds (default: build/cmake-<python> here)
  DBSAFE_BUILD_JOBS     parallel compile jobs (default: 2)
  CMAKE_ARGS            extra arguments for the CMake configure step

ccache is used when it is installed, with CCACHE_BASEDIR set to the repository
root, so rebuilding in a fresh build directory or from a fresh checkout of the
same sources is cheap.
"""

import hashlib
import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent


def source_dir() -> Path:
    root = Path(os.environ.get("DBSAFE_SOURCE_DIR") or HERE.parent.parent).resolve()
    if not (root / "CMakeLists.txt").is_file() or not (root / "include/dbsafe/dbsafe.h").is_file():
        raise RuntimeError(
            f"the dbsafe sources were not found at {root}; build from a checkout "
            "(bindings/python inside the repository) or set DBSAFE_SOURCE_DIR"
        )
    return root


def read_version() -> str:
    header = (source_dir() / "include/dbsafe/c/common.h").read_text(encoding="utf-8")
    parts = []
    for part in ("MAJOR", "MINOR", "PATCH"):
        match = re.search(rf"#define\s+DBSAFE_VERSION_{part}\s+(\d+)", header)
        if match is None:
            raise RuntimeError(f"DBSAFE_VERSION_{part} is missing from include/dbsafe/c/common.h")
        parts.append(match.group(1))
    return ".".join(parts)


class CMakeExtension(Extension):
    """An extension whose sources CMake knows; setuptools compiles nothing itself."""

    def __init__(self, name: str) -> None:
        super().__init__(name, sources=[])


class CMakeBuild(build_ext):
    def build_extension(self, ext: Extension) -> None:
        root = source_dir()
        interpreter = os.path.realpath(sys.executable)
        # One build directory per interpreter, stable across runs and virtual
        # environments (a venv's python resolves to the same binary), so
        # rebuilding is incremental.
        tag = hashlib.sha256(interpreter.encode()).hexdigest()[:10]
        default_build = HERE / "build" / f"cmake-{sys.implementation.cache_tag}-{tag}"
        build_dir = Path(os.environ.get("DBSAFE_CMAKE_BUILD_DIR") or default_build).resolve()
        build_dir.mkdir(parents=True, exist_ok=True)

        env = dict(os.environ)
        configure = [
            "cmake",
            "-S", str(root),
            "-B", str(build_dir),
            "-DCMAKE_BUILD_TYPE=Release",
            "-DDBSAFE_BUILD_PYTHON=ON",
            "-DDBSAFE_BUILD_NODE=OFF",
            "-DDBSAFE_BUILD_TESTS=OFF",
            "-DDBSAFE_BUILD_CLI=OFF",
            # A user's install must not fail on a new compiler's new warning;
            # dbsafe's own CI builds with -Werror.
            "-DDBSAFE_WERROR=OFF",
            f"-DPython_EXECUTABLE={sys.executable}",
            f"-DPYTHON_EXECUTABLE={sys.executable}",
        ]
        try:
            import pybind11  # only when the pip package is installed; CMake finds Debian's

            configure.append(f"-Dpybind11_DIR={pybind11.get_cmake_dir()}")
        except ImportError:
            pass
        if shutil.which("ccache"):
            configure += [
                "-DCMAKE_CXX_COMPILER_LAUNCHER=ccache",
                "-DCMAKE_C_COMPILER_LAUNCHER=ccache",
            ]
            env.setdefault("CCACHE_BASEDIR", str(root))
            env.setdefault("CCACHE_NOHASHDIR", "1")
        configure += shlex.split(env.get("CMAKE_ARGS", ""))
        jobs = env.get("DBSAFE_BUILD_JOBS", "2")

        self.announce(f"configuring dbsafe in {build_dir}", level=2)
        subprocess.run(configure, check=True, env=env)
        subprocess.run(
            ["cmake", "--build", str(build_dir), "--target", "dbsafe_python", "--parallel", jobs],
            check=True,
            env=env,
        )

        built = self._find_built_module(build_dir / "python" / "dbsafe")
        target = Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built, target)

    @staticmethod
    def _find_built_module(package_dir: Path) -> Path:
        suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
        exact = package_dir / f"_dbsafe{suffix}"
        if exact.is_file():
            return exact
        candidates = sorted(package_dir.glob("_dbsafe*.so")) + sorted(package_dir.glob("_dbsafe*.pyd"))
        if not candidates:
            raise RuntimeError(f"CMake built no _dbsafe module in {package_dir}")
        return candidates[0]


setup(
    version=read_version(),
    ext_modules=[CMakeExtension("dbsafe._dbsafe")],
    cmdclass={"build_ext": CMakeBuild},
)
