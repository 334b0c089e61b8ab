# The server area of the window, in English.
