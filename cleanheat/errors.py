"""The one exception tree of cleanheat.

::

    CleanheatError
      InputError         a record or field is wrong (.record, .field)
      ParameterError     no parameter (or no value of it) at the date asked
      RegistryError
        NotFound
        Conflict         e.g. a household already subsidised
      DataQualityError   monitoring data that cannot be evaluated

Domain code raises these; the edges translate them, each in one place: the CLI prints
``InputError: …`` on stderr and exits 2, the web application maps ``NotFound`` → 404,
``Conflict`` → 409 and ``InputError`` → 422.
"""

from __future__ import annotations

__all__ = [
    "CleanheatError",
    "Conflict",
    "DataQualityError",
    "InputError",
    "NotFound",
    "ParameterError",
    "RegistryError",
]


class CleanheatError(Exception):
    """Base of every error cleanheat raises on purpose."""


class InputError(CleanheatError, ValueError):
    """A record or one of its fields is wrong.

    Parameters
    ----------
    message : str
        What is wrong, naming the value.
    record : str or None
        How to find the record: its id (``household_id=YC-0042``) or its position (``record 17``).
    field : str or None
        The field at fault.
    """

    def __init__(self, message: str, *, record: str | None = None, field: str | None = None) -> None:
        self.record = record
        self.field = field
        self.reason = message
        parts = [p for p in (record, f"field {field!r}" if field else None) if p]
        super().__init__(f"{', '.join(parts)}: {message}" if parts else message)


class ParameterError(CleanheatError, KeyError):
    """No such parameter, or no value of it at the date asked."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class RegistryError(CleanheatError):
    """A registry operation cannot be carried out."""


class NotFound(RegistryError):
    """The record asked for does not exist."""


class Conflict(RegistryError):
    """The operation conflicts with the state of the registry (already paid, over the envelope…)."""


class DataQualityError(CleanheatError):
    """Monitoring data that cannot be evaluated."""
