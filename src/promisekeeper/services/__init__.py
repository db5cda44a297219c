"""Services: the use cases that combine store, rules and telling (make, keep, move, undo,
import/export, doctor, backup, restore, reminders, reports), plus settings, paths and the clock."""
