"""A self-signed CA and a server certificate for a local HTTPS cluster, made with `openssl`.

Every node serves the same certificate; it names localhost and the loopback addresses nodes
listen on (public 127.0.0.1, intra-control and intra-data on the aliases 127.0.0.2/.3, see
config.py). Clients and the nodes themselves (intra-cluster calls) trust it through the CA
bundle `TlsFiles.ca`. The keys are EC P-256: quick to make, accepted by Go and Python.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from aisbench.cluster.base import ClusterError

_OPENSSL_TIMEOUT_S = 30.0
_VALID_DAYS = 30
LOOPBACK_HOSTS = ("127.0.0.1", "127.0.0.2", "127.0.0.3")
# Python's ssl (3.13+) verifies strictly: key identifiers and a CA marked critical are required.
_CA_CONFIG = """\
[req]
distinguished_name = dn
[dn]
[ca_extensions]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
"""
_SERVER_EXTENSIONS = """\
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = {names}
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
"""


@dataclass(frozen=True)
class TlsFiles:
    """PEM files for an HTTPS cluster.

    Attributes:
        ca: the CA bundle clients verify the server with (``Client(..., verify=str(ca))``).
        cert: the server certificate every node presents.
        key: the server certificate's private key (mode 0600).
    """

    ca: Path
    cert: Path
    key: Path

    def exist(self) -> bool:
        return all(p.is_file() for p in (self.ca, self.cert, self.key))


def tls_files_in(directory: Path) -> TlsFiles:
    """Where :func:`make_self_signed` puts its files in `directory`."""
    return TlsFiles(ca=directory / "ca.crt", cert=directory / "server.crt",
                    key=directory / "server.key")


def make_self_signed(directory: Path, hosts: tuple[str, ...] = LOOPBACK_HOSTS,
                     openssl: str | None = None) -> TlsFiles:
    """Create (or reuse) a CA and a server certificate for `hosts` (IPs) in `directory`.

    Raises:
        ClusterError: openssl is missing or failed (the message carries its stderr).
    """
    files = tls_files_in(directory)
    binary = openssl or shutil.which("openssl")
    if binary is None:
        raise ClusterError("openssl not found: it is needed to make the certificates for "
                           "--https; install it (apt-get install openssl) or pass your own "
                           "TlsFiles(ca, cert, key)")
    if files.exist() and _valid_for_a_day(binary, files.cert):
        return files
    directory.mkdir(parents=True, exist_ok=True)
    ca_key = directory / "ca.key"
    csr = directory / "server.csr"
    ca_config = directory / "ca.cnf"
    server_ext = directory / "server.ext"
    ca_config.write_text(_CA_CONFIG)
    names = ", ".join([*(f"IP:{host}" for host in hosts), "DNS:localhost"])
    server_ext.write_text(_SERVER_EXTENSIONS.format(names=names))
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _run(directory, [binary, "req", "-x509", *ec, "-keyout", str(ca_key), "-out",
                     str(files.ca), "-days", str(_VALID_DAYS), "-subj", "/CN=aisbench local CA",
                     "-config", str(ca_config), "-extensions", "ca_extensions"])
    _run(directory, [binary, "req", *ec, "-keyout", str(files.key), "-out", str(csr),
                     "-subj", "/CN=127.0.0.1"])
    _run(directory, [binary, "x509", "-req", "-in", str(csr), "-CA", str(files.ca),
                     "-CAkey", str(ca_key), "-CAcreateserial", "-out", str(files.cert),
                     "-days", str(_VALID_DAYS), "-extfile", str(server_ext)])
    files.key.chmod(0o600)
    ca_key.chmod(0o600)
    return files


def _valid_for_a_day(openssl: str, cert: Path) -> bool:
    proc = subprocess.run([openssl, "x509", "-checkend", "86400", "-noout", "-in", str(cert)],
                          capture_output=True, timeout=_OPENSSL_TIMEOUT_S,
                          stdin=subprocess.DEVNULL)
    return proc.returncode == 0


def _run(cwd: Path, argv: list[str]) -> None:
    try:
        proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True,
                              timeout=_OPENSSL_TIMEOUT_S, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ClusterError(f"cannot run {argv[0]} {argv[1]}: {exc}") from exc
    if proc.returncode != 0:
        raise ClusterError(f"`openssl {argv[1]}` failed making certificates in {cwd} "
                           f"(exit {proc.returncode}): {proc.stderr.strip()}")
