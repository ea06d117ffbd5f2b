"""Alerts people opt into (issue 19): "tell me when this product comes into season" and
"tell me about new products matching this search".

* No account: an e-mail address (``AlertSubscriber``) with its subscriptions
  (``AlertSubscription``). Double opt-in: each subscription starts unconfirmed; the
  mailed link (signed, expiring) confirms it. Addresses are never shown to sellers.
* Every mail carries a one-click unsubscribe link and the ``List-Unsubscribe`` /
  ``List-Unsubscribe-Post`` headers (RFC 8058). The link is signed with the app's
  secret and the subscriber's own random secret: it cannot be guessed.
* Sending is the ``alerts_digest`` job (marketplace/jobs): at most one digest per day per
  address (``AlertDigest``: unique per subscriber and day). The digest row, and the
  subscriptions' cursors, are committed *before* the mail is handed to the mailer, so a
  crash mid-run never sends anything twice (at most once: a digest whose process died
  between the claim and the send stays ``sending`` and is not retried).
"""
