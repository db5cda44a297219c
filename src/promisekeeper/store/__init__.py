"""The store: the only code that speaks SQL or touches sqlite3.

`connection` opens the ledger file safely, `schema` holds the numbered migrations, `queries`
reads and writes rows (and turns stored events into typed ones), `files` makes copies,
backups and atomic files.
"""
