"""The sample device client: its own sqlite3 database and a link to the server."""
