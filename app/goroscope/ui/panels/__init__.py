"""Panels: QWidgets composing items and models (timeline, …)."""
