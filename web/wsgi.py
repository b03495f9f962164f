"""The WSGI entry point for production servers: `gunicorn 'web.wsgi:create()'` (docs/console.md).

Reads the same configuration, key file and database as the command line (`JIKIMI_CONFIG`,
`JIKIMI_DATA_DIR`, `JIKIMI_KEYRING`), and fails closed, like the CLI, on a wrong key or an old schema.
"""

from __future__ import annotations

import os

from flask import Flask

from jikimi.config import load_settings
from jikimi.logs import REDACTOR, setup_logging
from storage.database import open_store
from storage.keyring import load_keyring
from web.app import create_app


def create() -> Flask:
    settings = load_settings()
    REDACTOR.add(settings.secrets())
    setup_logging()
    keyring = load_keyring(settings.key_file, os.environ.get("JIKIMI_KEYRING"))
    return create_app(open_store(settings.database_url, keyring), settings)
