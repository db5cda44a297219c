"""The pk commands, one module per area; face.cli registers them."""
