"""Service state: declared incidents, recorded health checks, supported browsers."""
