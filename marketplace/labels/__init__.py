"""Printable QR labels: a QR code per product linking to its canonical page."""
