"""Certifications of every kind (OCOP, VietGAP, GlobalGAP, organic, geographical
indication, collective mark, growing-area code, HACCP/ISO 22000): one table, one set of
rules, one staff queue. See models.py for the shape and queries.py for the reads other
features build on (the lot picker, the scan page)."""
