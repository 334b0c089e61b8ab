# The composer area of the window, in English.
