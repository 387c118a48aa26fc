"""The HTTP edge's routers, one module per resource."""
