"""The rules: standing and risk, timing (on time, late, lateness, early), working time, dates,
`--since`, the track record and the trust bank, realism.

Each rule lives in one function here, with its own tests; everything else calls it. Pure
functions of the model and the clock: no SQL, no Typer, no rich.
"""
