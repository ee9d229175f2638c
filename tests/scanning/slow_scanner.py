"""A test-only scanner plugin: files starting with ``HUBGATE-SLOW-SCAN <seconds>`` take that
long to scan. Loaded into the test worker through HUBGATE_PLUGIN_MODULES."""

import time

from governance.hookspecs import hookimpl

MARKER = b"HUBGATE-SLOW-SCAN "


@hookimpl
def hubgate_scan_file(file):
    with open(file.path, "rb") as fh:
        head = fh.read(64)
    if not head.startswith(MARKER):
        return None
    time.sleep(float(head[len(MARKER) :].split()[0]))
    return []
