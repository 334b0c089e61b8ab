# The files area of the window, in Simplified Chinese.
