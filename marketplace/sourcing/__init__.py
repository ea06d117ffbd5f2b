"""Sourcing requests ("tìm nguồn hàng"): buyers post what they look for, staff approve,
matching sellers are told and offer, the buyer accepts (issue 19, item 3)."""
