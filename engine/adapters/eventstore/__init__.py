"""The library's SQLite and PostgreSQL recorders, extended with a hash chain written in
the same transaction as the events: how a link is computed (chain), and the two stores."""
