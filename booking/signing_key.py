"""The key that signs tokens, sessions and calendar links: present, long enough, never from the code.

Production must be given ``SECRET_KEY``; development (``SECRET_KEY_FILE`` set)
generates a random key on its first start and keeps it in the instance folder, so
sessions survive restarts without any key shipping in the repository.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

from flask import Flask


class InsecureConfiguration(RuntimeError):
    """The app would start with a signing key an attacker could know or guess."""


def configure_signing_key(app: Flask) -> None:
    """Fill in the development key if needed, then refuse a missing or short key.

    :raise InsecureConfiguration: no ``SECRET_KEY``, or one shorter than ``MIN_SECRET_KEY_LENGTH``.
    """
    key_file = app.config.get("SECRET_KEY_FILE")
    if not app.config.get("SECRET_KEY") and key_file:
        app.config["SECRET_KEY"] = _kept_key(Path(app.instance_path) / key_file)
    key = app.config.get("SECRET_KEY") or ""
    minimum = int(app.config.get("MIN_SECRET_KEY_LENGTH", 32))
    if not key:
        raise InsecureConfiguration(
            "labvisit refuses to start: SECRET_KEY is not set. Set it to a random string of at least "
            f"{minimum} characters (e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))'), "
            "or run the development configuration with LABVISIT_CONFIG=config.DevelopmentConfig."
        )
    if len(key) < minimum:
        raise InsecureConfiguration(
            f"labvisit refuses to start: SECRET_KEY has {len(key)} characters; it needs at least {minimum}."
        )


def _kept_key(path: Path) -> str:
    """The key stored at ``path``, created (readable by the owner only) on first use.

    The new key is written to a private temporary file and linked into place, so a
    process starting at the same moment reads either no file or a whole key.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret-key-")  # mode 0600
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48) + "\n")
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process won; use its key
        finally:
            os.unlink(temporary)
    key = path.read_text().strip()
    if not key:
        raise InsecureConfiguration(f"labvisit refuses to start: the key file {path} is empty; delete it.")
    return key
