# The client area of the window, in Simplified Chinese.
