"""Production lots ("lô"), their public scan page (``/truy-xuat/<code>``), GS1 Digital Link
resolution (``/01/<GTIN>/10/<lot>``) and lot labels.

A lot is public evidence: it is public from the moment it is recorded (staff may hide it
with a reason), and every later edit is kept as a revision buyers can read.
"""
