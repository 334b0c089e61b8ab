# The load area of the window, in English.
