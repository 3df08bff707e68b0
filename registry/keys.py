"""Key material: loaded from configured paths or generated once into var/.

Several gunicorn workers start at once, so a generated key is written to a
temporary file and linked into place atomically: the first writer wins and every
other process reads the winner's key.
"""

from __future__ import annotations

import base64
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from registry.config import ConfigError, Settings


def create_file_once(path: Path, content: bytes) -> bytes:
    """Write `content` to `path` unless it exists; return what the file holds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            os.write(fd, content)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.chmod(tmp, 0o600)
        try:
            os.link(tmp, path)  # fails if another process got there first
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    return path.read_bytes()


def _load_or_create_signing_key(path: Path) -> Ed25519PrivateKey:
    fresh = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    pem = create_file_once(path, fresh)
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except ValueError:
        raise ConfigError(f"REGISTRY_SIGNING_KEY: {path} is not a PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"REGISTRY_SIGNING_KEY: {path} is not an Ed25519 key")
    return key


def _load_or_create_master_key(path: Path) -> bytes:
    fresh = base64.b64encode(secrets.token_bytes(32)) + b"\n"
    raw = create_file_once(path, fresh).strip()
    try:
        key = base64.b64decode(raw, validate=True)
    except ValueError:
        raise ConfigError(f"REGISTRY_DATA_KEY: {path} is not base64") from None
    if len(key) != 32:
        raise ConfigError(f"REGISTRY_DATA_KEY: {path} must hold 32 base64-encoded bytes")
    return key


def derive(master: bytes, purpose: str, length: int = 32) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=purpose.encode()).derive(
        master
    )


@dataclass(frozen=True)
class KeyRing:
    signing_key: Ed25519PrivateKey
    master_data_key: bytes
    link_key: bytes
    blind_index_key: bytes
    request_hash_key: bytes

    @property
    def public_key_pem(self) -> str:
        return (
            self.signing_key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )


def load_keyring(settings: Settings) -> KeyRing:
    signing = _load_or_create_signing_key(Path(settings.signing_key_path))
    master = _load_or_create_master_key(Path(settings.data_key_path))
    link = (
        derive(settings.link_key_value.encode(), "registry link key")
        if settings.link_key_value
        else derive(master, "registry link key")
    )
    return KeyRing(
        signing_key=signing,
        master_data_key=master,
        link_key=link,
        blind_index_key=derive(master, "registry blind index"),
        request_hash_key=derive(master, "registry idempotency request hash"),
    )
