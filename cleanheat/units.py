"""Physical constants and the numeric type aliases shared by the models."""

from __future__ import annotations

from typing import TypeAlias

import numpy as np
import numpy.typing as npt

__all__ = ["KELVIN", "HOURS_PER_DAY", "FloatArray", "IntArray", "BoolArray", "Numeric"]

KELVIN = 273.15
"""Offset from degrees Celsius to kelvin. [K]"""

HOURS_PER_DAY = 24

FloatArray: TypeAlias = npt.NDArray[np.float64]
IntArray: TypeAlias = npt.NDArray[np.int64]
BoolArray: TypeAlias = npt.NDArray[np.bool_]
Numeric: TypeAlias = float | FloatArray
