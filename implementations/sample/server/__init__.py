"""The sample server: a service layer over sqlite3 and a thin Starlette app."""
