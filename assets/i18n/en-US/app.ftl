# The app area of the window, in English.

app-language = Language
app-language-hover = The language of the window (the command line stays English)
