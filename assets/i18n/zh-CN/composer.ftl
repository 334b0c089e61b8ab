# The composer area of the window, in Simplified Chinese.

## The composer's heading, presets, preview and Send.

composer-heading = 报文编辑
composer-profile-fields = 协议配置 { $profile } 的字段
composer-binary-request = 二进制请求
composer-binary-request-hover = 教程中的二进制请求（内容为十六进制）
composer-search-request = 搜索请求
composer-search-request-hover = 教程中的请求 { $request }
composer-raw-warning = 原始连接：发送时只写入内容字节，不带报文头。
composer-preview = 预览
composer-preview-bytes = { $count } 字节
composer-nothing-to-send = 没有可发送的内容
composer-send = 发送
composer-send-to = 发送到
composer-send-frame-hover = 将该帧发送到所选连接（Ctrl+Enter）
composer-send-previewed-hover = 将预览中的字节发送到所选连接（Ctrl+Enter）
composer-cannot-send = 无法发送：{ $reason }
composer-sent-to = 已发送到 { $count } 个连接
composer-sent-queues-full = { $count } 个发送队列已满
composer-sent-not-open = { $count } 个未打开
composer-cannot-build-message = 无法生成报文
composer-cannot-build-frame = 无法生成该帧
composer-tick-malformed-send = { $problems }（勾选“发送畸形帧”可强制发送）
composer-tick-malformed-forward = { $problem }（勾选“发送畸形帧”可强制转发）
composer-no-open-connection = 没有已打开的连接：请先连接
composer-connection-not-open = 连接 #{ $id } 未打开
composer-send-malformed = 发送畸形帧
composer-send-malformed-hover = 报文有问题也照样发送（用于测试对端如何应对）
composer-all-open = 所有已打开的连接（{ $count }）
composer-target-hover = 发送到所有已打开的连接，或其中一个（也可在客户端列表中点击选择）

## The header fields.

composer-header = 报文头
composer-byteorder-hover = 发送方的字节序，取值同 Python 的 sys.byteorder
composer-content-type-hover = 内容的类型；可选常用值，也可输入任意文本
composer-content-encoding-hover = 内容的编码：文本和 JSON 内容按此编码写入（gbk、big5、utf-16le…… Python 支持的编码名均可），字节内容用 binary；可选常用值，也可自行输入
composer-length-computed = { $length }（自动计算）
composer-length-computed-hover = 内容的实际字节长度
composer-override = 覆盖
composer-override-hover = 发送另一个 content-length，测试对端如何应对错误的长度
composer-length-value-hover = 要发送的 content-length：JSON（如 999、-1、"abc"）或文本
composer-length-value-disabled = 勾选“覆盖”后可自行指定 content-length
composer-custom-key-hint = 键
composer-custom-key-hover = 自定义字段 { $index } 的键
composer-custom-value-hint = 值：JSON 或文本
composer-custom-value-hover = 是合法 JSON（42、true、[1]）时按 JSON 发送，否则按字符串发送
composer-remove = 删除
composer-remove-hover = 删除自定义字段 { $index }
composer-add-field = 添加字段
composer-add-field-hover = 添加自定义报文头字段（报文头是一个字典：按需添加）
composer-presets-hover = { $field } 的常用值

## The content.

composer-content = 内容
composer-kind-text = 文本
composer-kind-json = JSON
composer-kind-hex = 十六进制
composer-kind-file = 文件
composer-kind-text-hover = UTF-8 文本，按输入原样发送
composer-kind-json-hover = JSON，输入时即时校验，按输入原样发送
composer-kind-hex-hover = 十六进制字节，如 00 ff 7b；空格会被忽略
composer-kind-file-hover = 文件的字节（最大 16 MiB）
composer-choose-file = 选择文件…
composer-choose-file-hover = 选择一个文件，以其字节作为内容
composer-no-file = 未选择文件
composer-reading-file = 正在读取 { $file }
composer-hex-hint = 十六进制字节，如 7b 7d
composer-text-hint = 要发送的文本
composer-content-hover = 内容（Ctrl+Enter 发送）

## What is wrong with a draft.

composer-choose-file-for-content = 请选择一个文件作为内容
composer-invalid-json = 内容不是合法的 JSON：{ $error }
composer-content-over-limit = 内容有 { $length } 字节，超过了 { $limit } MiB 的内容上限
composer-length-overridden = content-length 被覆盖为 { $value }；内容实际为 { $length } 字节
composer-content-type-empty = content-type 为空
composer-content-encoding-empty = content-encoding 为空
composer-custom-no-key = 自定义字段 { $index } 没有键
composer-custom-required = “{ $key }”已在上方设置；请删除同名的自定义字段
composer-custom-twice = 键“{ $key }”出现了两次
composer-frame-header-cut = 该帧的报文头不完整或不是 UTF-8
composer-frame-header-not-json = 该帧的报文头不是 JSON 对象：{ $error }

## The form of a profile's fields.

composer-field-not-keep-profile = 该帧不符合协议配置 { $profile }：{ $why }
composer-field-absent-hover = 不在此帧中：仅当另一字段取特定值时才出现（见其 `when`）
composer-field-conditional-hover = 仅当另一字段取特定值时才出现在帧中（见其 `when`）
composer-field-computed-hint = 自动计算
composer-field-empty-hint = 0 / 空
composer-field-computed-hover = 不填则自动计算（填入值可发送错误的值）
composer-field-value-hover = 数字（12、-5、0x1F）、十六进制字节（0x0102、01 02）或文本

## Inject into a relayed conversation.

composer-inject-heading = 注入到转发中的会话
composer-inject-conversation = 会话
composer-inject-conversation-hover = 要注入的已打开转发会话（最新的在前）
composer-inject-conversation-item = #{ $id } 来自 { $client }
composer-inject-to-server-hover = 发往目标，就像客户端发出的一样
composer-inject-to-client-hover = 发往客户端，就像目标回复的一样
composer-inject = 注入
composer-inject-hover = 将预览中的字节注入会话 #{ $conversation } { $toward }，排在该方向已排队的数据之后

## Editing a held frame.

composer-edit-too-large = 拦截的帧 #{ $id } 太大，无法在报文编辑中修改（{ $size }，最大 { $limit }）：请直接转发或丢弃
composer-edit-cannot = 拦截的帧 #{ $id } 无法编辑：{ $why }
composer-edit-banner = 正在编辑拦截的帧 #{ $id }（会话 #{ $conversation }，{ $toward }）
composer-edit-raw-note = 原始数据块：内容即其字节。“转发修改后的帧”会用它们替换原数据发出。
composer-edit-profile-note = 可修改任意字段；长度和校验和未手动填写时自动更新。“转发修改后的帧”会用预览内容替换原帧发出。
composer-edit-frame-note = 可修改任意报文头字段或内容；“转发修改后的帧”会用预览内容替换原帧发出。
composer-edit-gone = 帧 #{ $id } 已不再被拦截（超时、会话已关闭或已被放行）：点“取消”返回
composer-forward-edited = 转发修改后的帧
composer-forward-edited-hover = 将预览中的字节 { $toward } 发出，替换拦截的帧 #{ $id }（{ $shortcut }）
composer-edit-cancel = 取消
composer-edit-cancel-hover = 停止编辑：该帧仍保持拦截，报文编辑恢复原来的内容
composer-edit-kept = 编辑期间该帧会一直等待（拦截超时已暂停）；点“取消”后超时重新开始计时。
composer-edit-left-forward = 若未先转发，它将在 { $seconds } 秒后（拦截超时）原样自动转发。
composer-edit-left-drop = 若未先转发，它将在 { $seconds } 秒后（拦截超时）被自动丢弃。
composer-cannot-forward = 无法转发：{ $why }
