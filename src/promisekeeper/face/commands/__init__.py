"""The pk commands, one module per area; cli.py registers them."""
