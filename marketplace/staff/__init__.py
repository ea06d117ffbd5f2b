"""Staff workspace of the trade-promotion centre (/nhan-vien): moderation, certificate
verification, collections, audit log, analytics. Staff and admin only."""
