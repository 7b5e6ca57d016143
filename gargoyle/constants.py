"""Switch statuses and condition modes, with the values gargoyle has always stored."""

#: Status: the switch is off for everyone (the status of a new switch).
DISABLED = 1
#: Status: the switch is on for whoever its conditions select; with no condition, for nobody.
SELECTIVE = 2
#: Status: the switch is on for everyone (a disabled parent still turns it off).
GLOBAL = 3
#: Status: the switch answers as its parent does (``parent`` for the key ``parent:child``);
#: without a parent, callers get their default.
INHERIT = 4

#: Condition mode: the condition lets the subjects it matches in.
INCLUDE = "i"
#: Condition mode: the condition keeps the subjects it matches out, whatever else matches.
EXCLUDE = "e"
#: Condition mode: the condition must match, whatever else matches: required conditions are
#: AND-ed ("staff AND in Germany"). New in this package: gargoyle-yplan never stored it.
REQUIRE = "r"

#: Every valid status, in the order above.
STATUSES = (DISABLED, SELECTIVE, GLOBAL, INHERIT)
