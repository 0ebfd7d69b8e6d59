"""One controller per resource of the web admin."""
