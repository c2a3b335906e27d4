"""Terminal output without the TUI: the headless run, its summary, the doctor's findings."""
