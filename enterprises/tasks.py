"""Scheduled work of the enterprise registry (beat only enqueues; each task claims its own rows)."""

from __future__ import annotations

# ==== area: profile ====

# ==== area: organisation ====

# ==== area: licences ====

# ==== area: university ====
