"""Standalone level-of-detail kernels for drawing millions of spans (numpy/numba only)."""
