"""goscope: see, live, what the go command does on the network and why."""

__version__ = "0.1.0"
