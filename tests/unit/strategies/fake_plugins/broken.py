"""A plugin module that fails while it is imported, as one with a missing dependency does."""

raise ImportError("fake_dependency_for_tests is not installed")
