"""pyqtgraph graphics items: span tracks, the time axis, the PrimitiveArray wrapper."""
