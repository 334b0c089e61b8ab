# The composer area of the window, in Simplified Chinese.
