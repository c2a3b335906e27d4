"""The run engine: a live session (proxy, event stream, command), without any UI."""
