"""TLS and authentication for the emulator, opt-in (`Emulator(tls=TlsMaterial(dir), require_auth=True)`): a CA of its
own, a server certificate for 127.0.0.1/localhost signed by it, a client certificate it accepts, and a second CA
nobody trusts (for "wrong CA" tests). Generated with `cryptography` (tests/requirements.txt) on first use.

With `require_auth`, as kube-apiserver: every API path answers 401 (a Status `Unauthorized`) unless the request
carries `Authorization: Bearer <TOKEN>` or a client certificate signed by the CA; /version, /healthz, /readyz and
/livez stay public (system:public-info-viewer), /_sandbox/ controls are not the API."""
import datetime
import ipaddress
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .kubeconfig import TOKEN

PUBLIC_PATHS = ("/version", "/healthz", "/readyz", "/livez")
CLIENT_USER = "sandbox-client"


def _key():
    return ec.generate_private_key(ec.SECP256R1())


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject, key, issuer, issuer_key, extensions):
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(issuer).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(days=2)))
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(issuer_key, hashes.SHA256())


def _pem_key(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def _pem_cert(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def _ca(common_name):
    key = _key()
    cert = _certificate(common_name, key, _name(common_name), key,
                        [(x509.BasicConstraints(ca=True, path_length=None), True),
                         (x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                        key_encipherment=False, data_encipherment=False, key_agreement=False,
                                        encipher_only=False, decipher_only=False), True)])
    return key, cert


def _leaf(common_name, ca_key, ca_cert, usage, names=()):
    key = _key()
    extensions = [(x509.BasicConstraints(ca=False, path_length=None), True), (x509.ExtendedKeyUsage([usage]), False)]
    if names:
        extensions.append((x509.SubjectAlternativeName(list(names)), False))
    return key, _certificate(common_name, key, ca_cert.subject, ca_key, extensions)


class TlsMaterial:
    """PEM files under `directory`: ca.crt, server.crt/.key, client.crt/.key, other-ca.crt (an untrusted CA); each
    also as bytes (`ca_pem`, `client_cert_pem`, `client_key_pem`)."""

    def __init__(self, directory):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        ca_key, ca_cert = _ca("sandbox-ca")
        server_key, server_cert = _leaf("sandbox-apiserver", ca_key, ca_cert, ExtendedKeyUsageOID.SERVER_AUTH,
                                        [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
        client_key, client_cert = _leaf(CLIENT_USER, ca_key, ca_cert, ExtendedKeyUsageOID.CLIENT_AUTH)
        other_key, other_cert = _ca("untrusted-ca")
        del other_key
        self.ca_pem = _pem_cert(ca_cert)
        self.client_cert_pem = _pem_cert(client_cert)
        self.client_key_pem = _pem_key(client_key)
        files = {"ca.crt": self.ca_pem, "server.crt": _pem_cert(server_cert), "server.key": _pem_key(server_key),
                 "client.crt": self.client_cert_pem, "client.key": self.client_key_pem, "other-ca.crt": _pem_cert(other_cert)}
        for name, data in files.items():
            path = self.directory / name
            path.write_bytes(data)
            path.chmod(0o600)
        self.ca = str(self.directory / "ca.crt")
        self.server_cert = str(self.directory / "server.crt")
        self.server_key = str(self.directory / "server.key")
        self.client_cert = str(self.directory / "client.crt")
        self.client_key = str(self.directory / "client.key")
        self.other_ca = str(self.directory / "other-ca.crt")

    def server_context(self):
        """The emulator's side: its certificate, and client certificates verified against the CA when offered."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.server_cert, self.server_key)
        context.load_verify_locations(cafile=self.ca)
        context.verify_mode = ssl.CERT_OPTIONAL
        return context

    def client_context(self):
        """The tests' own HTTP (Emulator.request): trusts the CA."""
        return ssl.create_default_context(cafile=self.ca)


def authenticated(headers, connection):
    """True when the request shows the sandbox token or a client certificate the CA signed."""
    if (headers.get("Authorization") or "") == "Bearer " + TOKEN:
        return True
    if isinstance(connection, ssl.SSLSocket):
        try:
            return bool(connection.getpeercert())
        except (ValueError, OSError):
            return False
    return False


def unauthorized_status():
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": "Unauthorized",
            "reason": "Unauthorized", "code": 401}
