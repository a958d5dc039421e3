"""Live watchlists: who is waiting now (inpatient imaging, ED, sepsis antibiotics).

Events arrive as HL7 v2 messages (MLLP or files) or FHIR R4 bundles. Each accepted message is
committed to a small SQLite database beside the warehouse (``<db>.live.sqlite``, WAL mode)
before it is acknowledged. Events are kept, and the state of every touched encounter or order
is re-derived from its events in event-time order, so late or out-of-order messages land in
the right place. Watchlist rules (``rules.yaml``) turn open items into green/amber/red.
See docs/guide/watchlists.md.
"""

from __future__ import annotations

from wardwatch.live.store import LiveStore, live_path

__all__ = ["LiveStore", "live_path"]
