# The files area of the window, in English.
