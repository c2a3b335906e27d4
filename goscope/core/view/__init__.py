"""The model behind the TUI, kept up to date one event at a time (UI-free).

The session (session.py) holds everything the tabs show; the columnar store
(store.py) keeps a million rows small; the `/` filter language (filters.py)
runs column by column over it.
May import: `judging`, `traffic`, `gorules`, `safe` and core's loose modules.
"""
