# The app area of the window, in Simplified Chinese.

app-language = 语言
app-language-hover = 窗口的语言（命令行仍为英文）
