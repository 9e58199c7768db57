"""Pure workflow rules: states, the transition table, guards, deadline arithmetic.

Nothing here imports Flask or touches a database session; time and the calendar are inputs.
"""
