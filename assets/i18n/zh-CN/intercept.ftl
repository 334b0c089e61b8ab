# The intercept area of the window, in Simplified Chinese.

intercept-heading = 拦截
intercept-toward-server = → 服务端
intercept-toward-client = → 客户端

## The hold form.

intercept-hold-server = 拦截 → 服务端
intercept-hold-server-hover = 拦截客户端发出的每一帧，在转发给目标之前暂扣，直到你转发、编辑或丢弃它（或超时）
intercept-hold-client = 拦截 → 客户端
intercept-hold-client-hover = 拦截目标回复的每一帧，在发回客户端之前暂扣，直到你转发、编辑或丢弃它（或超时）
intercept-timeout = 超时
intercept-timeout-hover = 帧被拦截多久后自动处理
intercept-then = 然后
intercept-fate-forward = 转发
intercept-fate-drop = 丢弃
intercept-fate-forward-hover = 超时的帧原样转发（并记录一条说明）
intercept-fate-drop-hover = 超时的帧被丢弃（并记录一条说明）

## The held frames.

intercept-held-count = 已拦截 { $count } 帧
intercept-no-frame-held = 没有被拦截的帧
intercept-forward-all = 全部转发
intercept-forward-all-hover = 按先后顺序原样转发所有拦截的帧
intercept-drop-all = 全部丢弃
intercept-drop-all-hover = 丢弃所有拦截的帧：一帧也不发送
intercept-more-held = 还有 { $count } 帧（“全部转发”和“全部丢弃”同样会处理它们）
intercept-held-line = 会话 #{ $conversation } · { $size } · { $seconds } s
intercept-held-pinned-hover = 已拦截 { $seconds } 秒；正在报文编辑中修改，保持拦截（超时已暂停）
intercept-held-forwards-hover = 已拦截 { $seconds } 秒；若你未处理，{ $left } 秒后将自动转发
intercept-held-drops-hover = 已拦截 { $seconds } 秒；若你未处理，{ $left } 秒后将自动丢弃
intercept-forward = 转发
intercept-forward-hover = 原样转发拦截的帧 #{ $id }
intercept-in-composer = 编辑中
intercept-in-composer-hover = 正在编辑：“转发修改后的帧”（或“取消”）在报文编辑的预览下方
intercept-edit = 编辑
intercept-edit-hover = 将拦截的帧 #{ $id } 载入报文编辑，修改后点“转发修改后的帧”
intercept-drop = 丢弃
intercept-drop-hover = 丢弃拦截的帧 #{ $id }，不再发送
intercept-frame-forwarded = 已转发拦截的帧 #{ $id }
intercept-frame-dropped = 已丢弃拦截的帧 #{ $id }
intercept-frames-forwarded = 已转发 { $count } 个拦截的帧
intercept-frames-dropped = 已丢弃 { $count } 个拦截的帧

## The relayed conversations.

intercept-conversations = 会话：{ $open } 个打开 · { $closed } 个已关闭
intercept-older = 以及更早的 { $count } 个
intercept-state-connecting = 连接中
intercept-state-open = 已打开
intercept-state-closed = 已关闭：{ $why }
intercept-follow = 跟踪
intercept-follow-hover = 跟踪会话 #{ $id } 的数据流：两条连接、两个方向，按顺序显示
intercept-conversation-line = #{ $id } { $client } → { $upstream } · { $state } · → 服务端 { $to_server } · → 客户端 { $to_client }
