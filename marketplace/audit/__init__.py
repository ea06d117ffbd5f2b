"""Audit log: who did what to which object, when, with before/after of the changed fields."""
