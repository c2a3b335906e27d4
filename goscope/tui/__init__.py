"""The Textual UI: a thin adapter over goscope.core.session."""
