"""The Hubgate CI quality-gate client: hashes local files, asks Hubgate, reports."""

__version__ = "0.1.0"
