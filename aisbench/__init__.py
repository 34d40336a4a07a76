"""aisbench: benchmarking and profiling PyTorch data loading from AIStore."""

__version__ = "0.1.0"
