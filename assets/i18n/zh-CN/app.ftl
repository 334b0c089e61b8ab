# The app area of the window, in Simplified Chinese.

app-language = 语言
app-language-hover = 窗口的语言（命令行仍为英文）

## Top bar

app-save-log = 保存日志…
app-save-log-hover = 将全部记录保存到文件：.jsonl 可再次打开，.txt 便于阅读
app-save-log-busy = 有对话框未关闭，或正在保存
app-open-log = 打开日志…
app-open-log-hover = 打开已保存的 JSON Lines 日志，在帧列表中查看
app-open-log-busy = 有对话框未关闭
app-theme-light = 浅色主题
app-theme-light-hover = 切换到浅色主题
app-theme-dark = 深色主题
app-theme-dark-hover = 切换到深色主题

## The composer's tabs

app-tab-send = 编辑发送
app-tab-send-hover = 编辑报文并发送到客户端连接
app-tab-load = 压力测试
app-tab-load-hover = 用大量连接持续发送编辑好的帧一段时间，并统计结果
app-tab-scenarios = 测试场景
app-tab-scenarios-hover = 打开、编辑、运行和录制场景文件：由逐步判定通过或失败的步骤组成
app-tab-profiles = 协议配置
app-tab-profiles-hover = 编写或修改协议配置文件，检查能否编译通过，并用于客户端

## What a load run would send; engine busy

app-load-frame-raw = { $count } 字节原始内容（客户端为原始模式）
app-load-frame-composed = { $count } 字节，即编辑好的帧
app-load-frame-unbuilt = 无法生成报文
app-busy-run = 引擎忙：请稍后再点“运行”
app-busy-start = 引擎忙：请稍后再点“开始”

## Held frames, injection, profiles

app-held-gone = 拦截的帧 #{ $id } 已不在拦截队列中
app-forwarded-edited = 已转发编辑后的拦截帧 #{ $id }（{ $count } 字节）
app-inject-failed = 注入失败：{ $error }
app-injected = 已向会话 #{ $conversation } 注入 { $count } 字节 { $toward }
app-profile-opened = 已打开协议配置 { $name }（来自 { $file }）
app-profile-unusable = 无法使用该协议配置文件：{ $error }
app-profile-in-use = 客户端现在使用协议配置 { $name }：点击“连接”即按此协议建立连接

## The frames panel's header

app-frames = 帧
app-source = 来源
app-source-live = 实时
app-source-live-hover = 本次会话的记录，实时到达
app-source-file-hover = 打开自 { $path } 的日志
app-times = 时间
app-times-local = 本地
app-times-local-hover = 按本机时区显示时间
app-times-utc = UTC
app-times-utc-hover = 按 UTC 显示时间
app-raw-as = 原始数据编码
app-raw-as-hover = 原始数据块的字节在列表和记录详情中按哪种编码显示为文本（带帧格式的内容按其报文头指定的编码显示）

## Status bar

app-status-client = 客户端
app-status-server = 服务器
app-status-relay = 中继
app-status-sent-received = { $name }：发送 { $sent } · 接收 { $received }
app-status-received-sent = { $name }：接收 { $received } · 发送 { $sent }
app-status-client-hover = 客户端已发送和接收的帧（或原始数据块）数；收 { $in }，发 { $out }
app-status-server-hover = 服务器已发送和接收的帧（或原始数据块）数；收 { $in }，发 { $out }
app-status-relay-hover = 中继已发送和接收的帧（或原始数据块）数；收 { $in }，发 { $out }
app-status-errors = 错误 { $count }
app-status-records = { $count } 条记录 · { $bytes }
app-status-records-hover = 记录缓存中保留的记录数及其字节数
app-status-dropped = 已丢弃 { $count }
app-status-dropped-hover = 为使记录缓存不超出上限而丢弃的记录数
app-status-rate = { $rate } 帧/秒
app-status-rate-hover = 最近一秒内每秒的帧数，含所有端、所有方向
app-status-rtt = RTT { $percentiles }
app-status-rtt-hover = 回显帧的往返时延

## Charts

app-chart-rate = 每秒帧数
app-chart-rate-now = 当前 { $rate }/秒，最近 { $window } 秒
app-chart-seconds-ago = 秒前
app-chart-rate-series = 帧/秒
app-chart-latency = 往返时延
app-chart-round-trips = { $count ->
    [0] 尚无往返
   *[other] { $count } 次往返
}
app-chart-latency-hover = 由客户端连接池计时，从发送到收到回显
app-chart-latency-series = 往返次数
app-percentiles = p50 { $p50 } · p90 { $p90 } · p99 { $p99 } · 最大 { $max }

## Journal

app-journal = 记录缓存
app-capture = 抓取
app-capture-hover = 从现在起，记录缓存保留每帧的多少内容
app-capture-full = 完整
app-capture-full-hover = 保留每一帧的全部字节
app-capture-headers = 仅报文头
app-capture-headers-hover = 只保留帧的协议头和报文头，以及数据块的前 64 字节：适合长时间或大流量运行
app-capture-off = 关闭
app-capture-off-hover = 不保留任何记录；计数、速率和时延照常统计（用于压力测试）
app-capture-applying = 正在应用…
app-keep-records = 最多记录数
app-keep-records-hover = 最多保留的记录条数；超出后最早的记录被丢弃（并计数）
app-keep-mib = 最多 MiB
app-keep-mib-hover = 最多保留的抓取字节数；超出后最早的记录被丢弃

## The server's address

app-address-empty = 请输入地址，例如 127.0.0.1:8800
app-address-bad-port = “{ $port }”不是有效端口（0 到 65535）
app-address-no-port = “{ $text }”缺少端口：请写成 主机:端口，例如 127.0.0.1:8800
app-address-ipv6-brackets = IPv6 地址请加方括号：[{ $host }]:{ $port }
app-address-not-ip = “{ $host }”不是 IP 地址：服务器只能监听 IP 地址，例如 127.0.0.1 或 0.0.0.0

## TCP 或 UDP：服务器、客户端表单和压测页

app-transport = 传输
app-transport-tcp-hover = TCP：字节流，按到达的字节切分出帧
app-transport-udp-hover = UDP：每个数据报是一帧（或一段原始数据）；服务器按对端地址各建一个会话
