# The records area of the window, in Simplified Chinese.
