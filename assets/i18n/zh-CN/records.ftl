# The records area of the window, in Simplified Chinese.

## The frames table
records-empty-filtered = 没有符合过滤条件的记录。
records-empty-live = 还没有记录。启动服务器、建立连接并发送数据：两端的每一帧都会显示在这里。
records-empty-log = 此日志中没有记录。
records-shown = 显示 { $shown } / { $total } 条记录
records-shown-hover = 通过过滤条件的记录数 / 保留的全部记录数
records-filtering = 正在过滤… { $percent }%
records-dropped = 已丢弃 { $count } 条
records-dropped-hover = 为使日志保持在限制之内（记录数和字节数）而丢弃的最旧记录
records-follow-newest = 跟随最新
records-follow-newest-hover = 有新记录到达时始终显示最新一条（向上滚动即停止跟随）
records-clear-log = 清空日志
records-clear-log-hover = 清除保留的全部记录（计数器继续累计）
records-clear-log-empty = 日志为空
records-col-seq = #
records-col-seq-hover = 记录在日志中的序号
records-col-time = 时间
records-col-time-hover = 记录产生的时间
records-col-side = 端
records-col-side-hover = 内置服务器或客户端连接池
records-col-conn = 连接
records-col-conn-hover = 连接编号
records-col-dir = 方向
records-col-dir-hover = 已发送或已接收（以 framescope 为视角）
records-col-content-type = 内容类型
records-col-content-type-hover = 报文头中的 content-type（原始数据块为 raw）
records-col-length = 长度
records-col-length-hover = 线路上的字节数
records-col-summary = 摘要
records-col-summary-hover = 内容的开头，或解码错误
records-held-help = 已被拦截暂扣：请在服务器下方的“拦截”面板中放行、编辑或丢弃
records-held-row = 已暂扣 · { $summary }
records-follow-conversation = 追踪会话
records-follow-conversation-menu-hover = 按顺序显示中继会话：两侧连接，从客户端到目标再返回
records-follow-conversation-hover = 按顺序显示中继会话：两侧连接，从客户端到目标再返回，可显示为文本、十六进制或帧（Ctrl+Shift+F）
records-follow-leg = 仅追踪此侧
records-follow-leg-hover = 只显示这一侧的连接，按顺序显示两个方向
records-follow-stream = 追踪流
records-follow-stream-menu-hover = 按顺序显示此连接的两个方向
records-follow-stream-hover = 按顺序显示此连接的两个方向，可显示为文本、十六进制或帧（Ctrl+Shift+F）

## The filters
records-filter-both = 全部
records-filter-side = 端
records-filter-side-hover = 只显示某一端
records-filter-dir = 方向
records-filter-dir-hover = 只显示某一方向
records-filter-conn = 连接
records-filter-conn-hint = 全部
records-filter-conn-hover = 只显示某一连接（填写连接编号）
records-filter-find = 查找
records-filter-find-hint = 报文头、内容或错误文本
records-filter-find-hover = 显示报文头、内容前 1 KiB 或错误信息中包含此文本的记录（不区分大小写）
records-filter-errors-only = 只看错误
records-filter-errors-only-hover = 只显示解码错误

## Sides, legs, directions and kinds of records
records-side-server = 服务器
records-side-client = 客户端
records-side-client-leg = 客户端侧
records-side-target-leg = 目标侧
records-dir-sent = 已发送
records-dir-received = 已接收
records-kind-frame = 帧
records-kind-chunk = 数据块
records-kind-decode-error = 解码错误
records-kind-tls-handshake = TLS 握手
records-kind-note = 备注

## The selected record
records-record-title = 记录 #{ $seq }
records-copy-text = 复制为文本
records-copy-text-hover = 将记录的字节复制为文本（非 UTF-8 的字节会被替换）
records-copy-hex = 复制为十六进制
records-copy-hex-hover = 将记录的字节复制为十六进制转储
records-conn = 连接 #{ $conn }
records-peer = (对端 { $peer })
records-note-what = framescope 的备注
records-decode-error = 解码错误：{ $error }
records-captured = 线路上共 { $wire } 字节，仅捕获了 { $captured } 字节
records-relayed-client-leg = 中继：会话 #{ $conn } 的客户端侧；目标侧为客户端连接 #{ $other }
records-relayed-target-leg = 中继：会话 #{ $other } 的目标侧；客户端侧为服务器连接 #{ $other }
records-fields = 字段（{ $profile }）
records-header = 报文头
records-chunk-no-header = 原始数据块没有报文头。
records-content = 内容
records-malformed = 部分字节无法按报文头指定的内容编码 { $encoding } 解码，显示为 �；下方字节为实际发送的原样内容。
records-binary = { $count } 字节二进制内容：请查看下方字节。
records-no-content = （无内容）
records-note-remark = 备注是 framescope 对该连接的说明：其中没有任何字节经过线路。
records-row-proto-header = (协议头)
records-row-proto-header-value = 报文头 { $value } 字节 (0x{ $hex })
records-row-content = (内容)
records-row-content-value = { $count } 字节
records-header-not-object = 报文头是 JSON，但不是对象。
records-header-not-json = 报文头无法解析为 JSON：{ $error }
records-tls-none = (无)
records-tls-version = 版本
records-tls-cipher-suite = 密码套件
records-tls-peer-subject = 对端证书主体
records-tls-peer-issuer = 对端证书颁发者
records-tls-valid-from = 生效时间
records-tls-valid-until = 失效时间
records-tls-names = 名称
records-tls-peer-certificate = 对端证书
records-bytes = 字节
records-bytes-hint = （悬停字段或字节以对照查看）
records-dots = 点号
records-dots-hover = 字节旁的文本以传统的点号方式显示（仅显示可打印 ASCII），而不是按内容编码把每个字符显示在其首字节下方

## The byte view
records-legend-proto-header = 协议头
records-legend-header = 报文头
records-legend-content = 内容
records-no-bytes = （无字节）

## The Follow stream window
records-follow-title = 追踪流：{ $title }
records-follow-relayed-title = 中继会话 #{ $conn }（{ $legs }）
records-follow-saved-to = 已保存到
records-follow-empty = 此连接还没有记录：记录到达后会显示在这里。
records-follow-left-off = 为保持窗口流畅，最早的 { $count } 条未显示：复制和保存仍包含全部内容。
records-follow-more-bytes = … 还有 { $count } 字节：复制或保存会包含全部内容
records-follow-show-as = 显示为
records-follow-copy = 复制
records-follow-copy-hover = 将整个会话按当前显示方式复制到剪贴板
records-follow-copy-disabled = 还没有可复制的内容
records-follow-save = 保存…
records-follow-save-hover = 将整个会话按当前显示方式保存为文本文件
records-follow-save-disabled = 还没有可保存的内容，或正在保存
records-follow-turns = { $count } 条，{ $bytes }
records-follow-client = 客户端
records-follow-relay = 中继
records-follow-target = 目标
records-follow-to-server = 发往服务器
records-follow-to-client = 发往客户端
