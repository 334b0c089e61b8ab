# The intercept area of the window, in English.

intercept-heading = Intercept
intercept-toward-server = → server
intercept-toward-client = → client

## The hold form.

intercept-hold-server = Hold → server
intercept-hold-server-hover = Hold every frame a client sends before it goes on to the target, until you forward, edit or drop it (or its time is up)
intercept-hold-client = Hold → client
intercept-hold-client-hover = Hold every frame the target answers with before it goes back to the client, until you forward, edit or drop it (or its time is up)
intercept-timeout = Time-out
intercept-timeout-hover = How long a frame is held before its fate is decided for it
intercept-then = then
intercept-fate-forward = forward
intercept-fate-drop = drop
intercept-fate-forward-hover = A frame whose time is up goes on as it is (a note says so)
intercept-fate-drop-hover = A frame whose time is up is dropped (a note says so)

## The held frames.

intercept-held-count = { $count } held
intercept-no-frame-held = No frame is held
intercept-forward-all = Forward all
intercept-forward-all-hover = Send every held frame on as it is, oldest first
intercept-drop-all = Drop all
intercept-drop-all-hover = Drop every held frame: none of them is sent
intercept-more-held = and { $count } more (Forward all and Drop all take them too)
intercept-held-line = conv #{ $conversation } · { $size } · { $seconds } s
intercept-held-pinned-hover = Held { $seconds } s; kept while it is edited in the composer (the time-out is paused)
intercept-held-forwards-hover = Held { $seconds } s; forwards by itself in { $left } s unless you decide first
intercept-held-drops-hover = Held { $seconds } s; drops by itself in { $left } s unless you decide first
intercept-forward = Forward
intercept-forward-hover = Send held frame #{ $id } on as it is
intercept-in-composer = in the composer
intercept-in-composer-hover = Being edited: Forward edited (or Cancel) is under the composer's preview
intercept-edit = Edit
intercept-edit-hover = Load held frame #{ $id } into the composer, change it, then Forward edited
intercept-drop = Drop
intercept-drop-hover = Never send held frame #{ $id }
intercept-frame-forwarded = Held frame #{ $id } forwarded
intercept-frame-dropped = Held frame #{ $id } dropped
intercept-frames-forwarded = { $count ->
    [one] { $count } held frame forwarded
   *[other] { $count } held frames forwarded
}
intercept-frames-dropped = { $count ->
    [one] { $count } held frame dropped
   *[other] { $count } held frames dropped
}

## The relayed conversations.

intercept-conversations = Conversations: { $open } open · { $closed } closed
intercept-older = and { $count } older
intercept-state-connecting = connecting
intercept-state-open = open
intercept-state-closed = closed: { $why }
intercept-follow = Follow
intercept-follow-hover = Follow stream on conversation #{ $id }: both legs, both ways, in order
intercept-conversation-line = #{ $id } { $client } → { $upstream } · { $state } · { $to_server } → server · { $to_client } → client
