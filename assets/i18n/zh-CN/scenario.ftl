# The scenario area of the window, in Simplified Chinese.
