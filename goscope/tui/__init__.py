"""The Textual UI: draws a core Session, fed by the run engine or a recording.

app.py holds the keys and the refresh timer; tabs/ has one module per tab (the
GoscopeTab contract); widgets/ the request list, detail and timeline; screens/
the modal screens.
"""
