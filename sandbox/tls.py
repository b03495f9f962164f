"""The sandbox over HTTPS with a freshly generated self-signed certificate.

For the test that jikimi refuses an untrusted certificate (certificate checks always stay on). A client that
refuses it never gets to send a request, so `hits()` stays 0 and `handshake_failures` counts the
refusals; `certificate_pem` lets a test trust the certificate explicitly to show the rest works.
"""

from __future__ import annotations

import ipaddress
import ssl
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from sandbox.server import SandboxHTTPServer, SandboxRequestHandler, SandboxServer, is_wildcard


def self_signed_certificate(host: str) -> tuple[bytes, bytes]:
    """(certificate PEM, private key PEM) for localhost, 127.0.0.1 and `host`, valid for a day."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "jikimi sandbox (self-signed)")])
    alt_names: list[x509.GeneralName] = [
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
    ]
    if not is_wildcard(host) and host not in ("127.0.0.1", "localhost"):
        try:
            alt_names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            alt_names.append(x509.DNSName(host))
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return certificate.public_bytes(serialization.Encoding.PEM), key_pem


class _TLSServer(SandboxHTTPServer):
    def __init__(self, address: tuple[str, int], handler: type[SandboxRequestHandler]) -> None:
        super().__init__(address, handler)
        self.handshake_lock = threading.Lock()
        self.handshake_failures = 0
        # Handshakes under way: the client learns of a refused certificate while this is non-zero.
        self.handshaking = 0


class _TLSHandler(SandboxRequestHandler):
    server: _TLSServer

    def handle(self) -> None:
        # The handshake runs here, in the connection's own thread, so a stalled or refusing client
        # never blocks the accept loop.
        server = self.server
        with server.handshake_lock:
            server.handshaking += 1
        try:
            self.request.do_handshake()
        except (ssl.SSLError, OSError):
            with server.handshake_lock:
                server.handshake_failures += 1
            return
        finally:
            with server.handshake_lock:
                server.handshaking -= 1
        super().handle()


class SelfSignedServer(SandboxServer):
    """Same routes and counters as SandboxServer, on https:// with an untrusted certificate."""

    scheme = "https"
    server_class = _TLSServer
    handler_class = _TLSHandler

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port)
        self.certificate_pem, key_pem = self_signed_certificate(host)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        with tempfile.TemporaryDirectory() as folder:
            # load_cert_chain reads files only; they live just long enough to be read.
            cert_file, key_file = Path(folder, "cert.pem"), Path(folder, "key.pem")
            cert_file.write_bytes(self.certificate_pem)
            key_file.write_bytes(key_pem)
            key_file.chmod(0o600)
            context.load_cert_chain(cert_file, key_file)
        self._httpd.socket = context.wrap_socket(
            self._httpd.socket, server_side=True, do_handshake_on_connect=False
        )

    @property
    def handshake_failures(self) -> int:
        """Connections whose TLS handshake failed: a client that refused the certificate.

        The client can see its error before the server counts it: call wait_idle() first.
        """
        return cast(_TLSServer, self._httpd).handshake_failures

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """As SandboxServer.wait_idle, and also wait for handshakes under way to finish."""
        deadline = time.monotonic() + timeout
        while cast(_TLSServer, self._httpd).handshaking:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)
        return super().wait_idle(max(0.0, deadline - time.monotonic()))
