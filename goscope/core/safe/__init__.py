"""Text made safe to keep, show and paste.

`redact` removes secrets (by name and by shape) from URLs, headers, bodies and
free text; `visible` escapes control and invisible characters so wire text
never acts on a terminal; `shell` quotes fixes for bash, zsh and fish alike.
May import: the standard library and detect-secrets; nothing of goscope's.
"""
