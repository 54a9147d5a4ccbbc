"""How the reproduce report writes its numbers: req/s, milliseconds, shares of the bound."""

from __future__ import annotations


def rps(value: float) -> str:
    return f"{value:,.0f}"


def ms(value: float) -> str:
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"


def percent(fraction: float) -> str:
    return f"{fraction * 100:,.1f}"


def times(value: float) -> str:
    return f"{value:.1f}×"
