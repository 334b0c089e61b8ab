# The records area of the window, in English.
