"""Filled in by its own issue; the app is registered so the layout of DESIGN.md holds."""
