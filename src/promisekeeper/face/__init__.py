"""The face: the Typer commands, prompts and terminal rendering. Parses, asks, prints; every
decision is made below it."""
