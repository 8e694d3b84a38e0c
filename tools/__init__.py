"""Tools for the course authors (not part of the installed package): `python -m tools.notebooks`."""
