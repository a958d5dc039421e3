"""``wardwatch serve``: a signed-in web dashboard and JSON API over the stored results.

``store`` keeps accounts, bearer tokens, sessions and the audit log in the warehouse (through
``wardwatch.warehouse``); ``data`` reads the result tables; ``app`` is the FastAPI app factory.
"""

from __future__ import annotations

ROLES = ("viewer", "analyst", "clinician", "admin")
