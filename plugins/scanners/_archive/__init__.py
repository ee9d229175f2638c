"""The one hostile-archive reader every scanner shares (private to the scanner plugins).

``streams``: bounded random-access sources and forward streams over a file or a part of one,
and the decompressors (gzip, bzip2, xz, zip's deflate/bzip2/LZMA) that enforce the size and
ratio limits as they go. ``formats``: recognising an archive by content, the zip end record,
central directory and entries, the tar guard that keeps ``tarfile`` within bounds, and member
names and links. ``findings``: the capped findings collector.

Scanners that look inside archives walk them through this module, so they all see the same
members of the same archive, within the same limits.
"""
