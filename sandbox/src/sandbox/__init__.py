"""Local simulators of the ServiceTitan and FreshBooks APIs.

`sandbox serve` runs both on loopback; the plugins only ever see URLs and credentials from their config.
"""

__version__ = "0.1.0"
