# The files area of the window, in Simplified Chinese.

## File dialogs and the path prompt
files-title-save-log = 保存日志
files-title-open-log = 打开日志
files-title-content-file = 内容文件
files-title-save-report = 保存压测报告
files-title-rules-file = 规则文件
files-title-open-scenario = 打开场景
files-title-save-scenario = 保存场景
files-title-save-conversation = 保存会话
files-title-open-profile = 打开协议配置
files-title-save-profile = 保存协议配置
files-filter-jsonl-reopen = JSON Lines（可重新打开）
files-filter-text-hex = 带十六进制转储的文本
files-filter-pcapng = pcapng（用于 Wireshark）
files-filter-jsonl = JSON Lines
files-filter-all = 所有文件
files-filter-scenario = 场景文件 (TOML)
files-filter-text = 文本文件
files-filter-profile = 协议配置文件 (TOML)
files-action-save = 保存
files-action-open = 打开
files-action-use-file = 使用此文件
files-action-load = 加载
files-help-save-log = .jsonl 文件可以重新打开；.txt 或 .log 为带十六进制转储的可读文本
files-help-open-log = 由 framescope 保存的 JSON Lines 日志
files-help-content-file = 文件的字节将作为内容（不超过内容上限）
files-help-save-report = 本次运行的 JSON 报告，与 framescope load --json 的输出相同
files-help-rules-file = 服务器规则：含 when 和 then 的 [[rule]] 表，以及一个 [default]
files-help-open-scenario = 场景文件 (TOML)，格式与 framescope run 读取的相同
files-help-save-editor = 编辑器中文本的保存位置（.toml 文件）
files-help-save-conversation = 以纯文本保存所追踪的会话，内容与“追踪流”窗口中的显示相同
files-help-open-profile = 供客户端连接使用的协议配置文件 (TOML)，格式与 --profile 读取的相同
files-help-edit-profile = 要在“协议配置”标签页中编辑的协议配置文件 (TOML)
files-path = 路径
files-path-hint = 文件路径
files-type-path-first = 请先输入路径
files-browse = 浏览…
files-browse-hover = 使用系统的文件对话框选择
files-cancel = 取消
files-cancel-hover = 不做选择直接关闭 (Esc)

## Reading and writing files
files-save-cannot-start = 无法开始保存：{ $error }
files-save-stopped = 保存意外中止
files-cannot-read = 无法读取 { $path }：{ $error }
files-cannot-write = 无法写入 { $path }：{ $error }
files-job-cannot-start = 无法启动文件操作：{ $error }
files-job-stopped = 文件操作意外中止
files-read-cannot-start = 无法开始读取：{ $error }
files-read-stopped = 读取线程已停止
files-too-big = 文件大小为 { $size }，超过了内容上限 { $limit }

## Saving and opening logs
files-engine-busy = 引擎正忙，请重试
files-saving = 正在保存 { $done } / { $total }
files-saving-hover = 正在保存到 { $path }
files-saved = 已将 { $count } 条记录保存到 { $name }（{ $size }）
files-save-failed = 无法保存：{ $error }。内存中的日志完好无损。
files-opening = 正在打开 { $name }
files-open-failed = 无法打开：{ $error }
files-bad-line = 第 { $line } 行：{ $reason }
files-bad-lines-more = … 另有 { $count } 行
files-bad-lines = 已跳过 { $shown } 行无效内容
