"""Repository defaults the settings table shows (imports nothing: read at plugin start-up)."""

from __future__ import annotations

from typing import Final

DEFAULT_DIST_DIR: Final = "dist/assets"
DEFAULT_URL_PREFIX: Final = "app://localhost/assets"
DEFAULT_TEMPLATE: Final = "{project}@{version}"
DEFAULT_VERSION_FILES: Final = ("src-tauri/tauri.conf.json", "src-tauri/Cargo.toml", "package.json")
