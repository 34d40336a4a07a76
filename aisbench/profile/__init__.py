"""Profiling a case from outside its process (py-spy): where the loader's time goes."""

from aisbench.profile.py_spy import ProfilerUnavailable, profile_case, require_py_spy

__all__ = ["ProfilerUnavailable", "profile_case", "require_py_spy"]
