"""Switch statuses and condition modes, with the values gargoyle has always stored."""

DISABLED = 1
SELECTIVE = 2
GLOBAL = 3
INHERIT = 4

INCLUDE = "i"
EXCLUDE = "e"

STATUSES = (DISABLED, SELECTIVE, GLOBAL, INHERIT)
