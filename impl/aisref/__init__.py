"""aisref: a reference implementation of AIStore's PyTorch integration, on requests."""

__version__ = "0.1.0"
