# The load area of the window, in Simplified Chinese.
