"""Reading records from a file or stdin and writing JSON, for every JSON-in/JSON-out command."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import orjson

from cleanheat.errors import InputError

__all__ = ["read_json_records", "write_json"]

UTF8_BOM = b"\xef\xbb\xbf"


def read_json_records(source: str) -> tuple[list[Any], bool]:
    """Read a JSON object or list from a path or ``-`` (stdin).

    Returns
    -------
    records, was_list
        The records as a list, and whether the input was a list (one object in gives one out).

    A UTF-8 byte order mark at the start is accepted; ``NaN`` and ``Infinity`` are refused
    (they are not JSON, though Python's ``json`` would read them).

    Raises
    ------
    InputError
        If the file cannot be read or is not a JSON object or list of objects.
    """
    if source == "-":
        data = sys.stdin.buffer.read()
        where = "stdin"
    else:
        path = Path(source)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read {source}: {exc.strerror}") from None
        where = source
    if data.startswith(UTF8_BOM):  # Notepad's "UTF-8" writes one
        data = data[len(UTF8_BOM):]
    try:
        obj = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        hint = ""
        if re.search(rb"(?<![\w\"])-?(NaN|Infinity)(?![\w\"])", data):
            hint = " (NaN and Infinity are not numbers: give a finite number or leave the field out)"
        raise InputError(f"{where} is not valid JSON: {exc}{hint}") from None
    if isinstance(obj, dict):
        return [obj], False
    if isinstance(obj, list):
        return obj, True
    raise InputError(f"{where}: expected a JSON object or a list of objects, got {type(obj).__name__}")


def write_json(obj: Any, *, pretty: bool = False) -> None:
    """Write JSON (UTF-8, Chinese kept as is) to stdout."""
    option = orjson.OPT_INDENT_2 if pretty else 0
    sys.stdout.buffer.write(orjson.dumps(obj, option=option | orjson.OPT_NON_STR_KEYS))
    sys.stdout.buffer.write(b"\n")
    sys.stdout.flush()
