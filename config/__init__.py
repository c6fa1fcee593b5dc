"""wirefeed configuration: one typed settings object.

`config.settings` (pydantic, SQLAlchemy's URL parser) is imported on first use of these names, not with the
package: `config.errors`, `config.secrets` and `config.durations` are light, and the command line's start-up
(`wirefeed --help`) must not pay for the settings it does not load.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from config.settings import ConfigError, Settings, load_settings

__all__ = ["ConfigError", "Settings", "load_settings"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from config import settings

        return getattr(settings, name)
    raise AttributeError(f"module 'config' has no attribute {name!r}")
