"""The web application's routes, one module per area."""
