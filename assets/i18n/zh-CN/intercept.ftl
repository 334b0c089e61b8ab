# The intercept area of the window, in Simplified Chinese.
