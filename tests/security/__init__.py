"""Security regression tests: each fault found by the hostile walk of issue 10 (and the
route × role matrix) kept closed by a test that failed before its fix."""
