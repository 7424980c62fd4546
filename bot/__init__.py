"""Anagen: a Discord bot for hair-loss communities."""

__version__ = "0.3.0"
