"""Field encryption and blind indexes over a `Keyring`.

Every sensitive field is a Fernet token (AES-128-CBC + HMAC-SHA256). Equality look-ups (is this
term already registered? is this URL already an exposure of this case?) use an HMAC-SHA256 blind
index under a separate key, so the index reveals nothing without the key file.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import unicodedata
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from storage.errors import DecryptionError, KeyringError
from storage.keyring import Keyring, load_keyring

CHECK_PLAINTEXT = b"jikimi key check"


def _multi(keys: Sequence[bytes]) -> MultiFernet:
    return MultiFernet([Fernet(k) for k in keys])


class Cipher:
    """Encrypts with the primary key, decrypts with any key of the list (rotation-friendly)."""

    def __init__(self, keys: Sequence[bytes]) -> None:
        self._fernet = _multi(keys)

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError):
            raise DecryptionError("a stored value cannot be decrypted with this key file") from None

    def encrypt_opt(self, value: str | None) -> str | None:
        return None if value is None else self.encrypt(value)

    def decrypt_opt(self, token: str | None) -> str | None:
        return None if token is None else self.decrypt(token)

    def encrypt_list(self, values: Sequence[str]) -> str:
        return self.encrypt(json.dumps(list(values), ensure_ascii=False))

    def decrypt_list(self, token: str | None) -> list[str]:
        if token is None:
            return []
        value = json.loads(self.decrypt(token))
        return [str(v) for v in value]

    def rotate(self, token: str) -> str:
        """Re-encrypt under the primary key (MultiFernet.rotate)."""
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except InvalidToken:
            raise DecryptionError("a stored value cannot be decrypted with this key file") from None


def normalise_for_index(value: str) -> str:
    """Two spellings that are the same term for an advocate get the same index."""
    return " ".join(unicodedata.normalize("NFKC", value).casefold().split())


class BlindIndex:
    """HMAC-SHA256 under the index key, with a purpose prefix so indexes of different kinds never collide."""

    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys:
            raise KeyringError("no blind-index key in the key file")
        self._keys = list(keys)

    def __call__(self, purpose: str, value: str) -> str:
        return self.with_key(self._keys[0], purpose, value)

    def candidates(self, purpose: str, value: str) -> list[str]:
        """The index under every key: during a rotation a row may still carry the old one."""
        return [self.with_key(k, purpose, value) for k in self._keys]

    @staticmethod
    def with_key(key: bytes, purpose: str, value: str) -> str:
        message = purpose.encode() + b"\x00" + normalise_for_index(value).encode("utf-8")
        return hmac.new(key, message, hashlib.sha256).hexdigest()


class Crypto:
    """What the repositories need: a cipher for global data, one per case, and the blind index."""

    def __init__(self, keyring: Keyring) -> None:
        self.keyring = keyring
        self.data = Cipher(keyring.data)
        self.index = BlindIndex(keyring.index)
        self._case_ciphers: dict[str, Cipher] = {}

    def for_case(self, key_id: str) -> Cipher:
        cipher = self._case_ciphers.get(key_id)
        if cipher is None:
            if key_id not in self.keyring.cases:
                self._reload_case_keys()
            cipher = Cipher(self.keyring.case_keys(key_id))
            self._case_ciphers[key_id] = cipher
        return cipher

    def _reload_case_keys(self) -> None:
        """A long-running process (the console, the scheduler) sees cases another process opened since
        it started: their keys were added to the key file after it was read."""
        if self.keyring.path is None:
            return
        try:
            fresh = load_keyring(self.keyring.path)
        except KeyringError:
            return  # the caller's own look-up then names the missing key
        for key_id, keys in fresh.cases.items():
            self.keyring.cases.setdefault(key_id, keys)

    def forget_case(self, key_id: str) -> None:
        self._case_ciphers.pop(key_id, None)

    def key_check(self) -> tuple[str, str]:
        """A token and an index value stored in the database to detect a wrong key file at start-up."""
        return self.data.encrypt(CHECK_PLAINTEXT.decode()), self.index("check", CHECK_PLAINTEXT.decode())

    def verify_check(self, token: str, index_value: str) -> None:
        try:
            plain = self.data.decrypt(token)
        except DecryptionError:
            raise KeyringError("the key file does not belong to this database (wrong key)") from None
        if plain != CHECK_PLAINTEXT.decode() or index_value not in self.index.candidates(
            "check", CHECK_PLAINTEXT.decode()
        ):
            raise KeyringError("the key file does not belong to this database (wrong index key)")
