# The client area of the window, in English.
