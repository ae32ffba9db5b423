"""Throwaway TLS material for the Neon API test server, made with the openssl CLI.

One CA signs two server certificates:

* ``server.pem`` for 127.0.0.1 and localhost: what clients should see;
* ``wrong-host.pem`` for ``wrong-host.invalid`` only: served for the
  ``wrong-host-cert`` fault, so a client that trusts the CA must still refuse it
  because the name does not match (not because the issuer is unknown).

EC P-256 keys keep generation well under a second.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

WRONG_HOST_NAME = "wrong-host.invalid"


@dataclass(frozen=True)
class TlsFiles:
    ca_cert: Path
    server_cert: Path
    server_key: Path
    wrong_host_cert: Path
    wrong_host_key: Path


def _openssl(*args: str, cwd: Path) -> None:
    proc = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"openssl {args[0]} failed: {proc.stderr.strip()}")


def _leaf(directory: Path, stem: str, common_name: str, san: str) -> None:
    ext = directory / f"{stem}.ext"
    ext.write_text(
        "basicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\n"
        f"subjectAltName={san}\n"
    )
    _openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-keyout", f"{stem}.key", "-out", f"{stem}.csr",
             "-subj", f"/CN={common_name}", cwd=directory)
    _openssl("x509", "-req", "-in", f"{stem}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-days", "30", "-sha256", "-extfile", ext.name,
             "-out", f"{stem}.pem", cwd=directory)
    (directory / f"{stem}.csr").unlink()
    ext.unlink()
    os.chmod(directory / f"{stem}.key", 0o600)


def generate(directory: Path) -> TlsFiles:
    """Create (or overwrite) the CA and both server certificates in DIRECTORY."""
    directory.mkdir(parents=True, exist_ok=True)
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "30", "-sha256",
             "-subj", "/CN=dbsafe Neon API test CA",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=directory)
    os.chmod(directory / "ca.key", 0o600)
    _leaf(directory, "server", "127.0.0.1", "IP:127.0.0.1,DNS:localhost")
    _leaf(directory, "wrong-host", WRONG_HOST_NAME, f"DNS:{WRONG_HOST_NAME}")
    return TlsFiles(
        ca_cert=directory / "ca.pem",
        server_cert=directory / "server.pem",
        server_key=directory / "server.key",
        wrong_host_cert=directory / "wrong-host.pem",
        wrong_host_key=directory / "wrong-host.key",
    )
