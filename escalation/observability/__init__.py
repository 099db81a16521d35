"""Running the app in the open: the client's address behind a proxy, request ids, logs and error reports.

Nothing here reads the database or knows about disputes, so every layer may use it.
"""
