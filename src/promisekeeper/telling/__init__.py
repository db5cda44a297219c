"""Telling: the words pk puts in front of people. Messages and their templates, channels,
the reminder digest, and reports built as data and written as text, Markdown or HTML."""
