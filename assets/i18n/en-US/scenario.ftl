# The scenario area of the window, in English.
