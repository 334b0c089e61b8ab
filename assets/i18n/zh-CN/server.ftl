# The server area of the window, in Simplified Chinese.
