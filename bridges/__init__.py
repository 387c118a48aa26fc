"""Vendor ATS bridges: each reads its vendor's webhooks (signature, payload) into ``VendorEvent``
and lists its vendor's jobs for ``enrolments import-jobs``."""
