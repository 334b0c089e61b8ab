# The intercept area of the window, in English.
