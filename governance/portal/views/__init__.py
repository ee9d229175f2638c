"""Every HTML view of Hubgate, one module per area; ``governance.portal.urls`` wires them."""
