# The composer area of the window, in English.

## The composer's heading, presets, preview and Send.

composer-heading = Composer
composer-profile-fields = the fields of profile { $profile }
composer-binary-request = Binary request
composer-binary-request-hover = The tutorial's binary request (content as hex)
composer-search-request = Search request
composer-search-request-hover = The tutorial's request { $request }
composer-raw-warning = Raw connection: Send writes the content bytes only, no header.
composer-preview = Preview
composer-preview-bytes = { $count } bytes
composer-nothing-to-send = nothing to send
composer-send = Send
composer-send-to = Send to
composer-send-frame-hover = Send the frame to the chosen connections (Ctrl+Enter)
composer-send-previewed-hover = Send the previewed bytes to the chosen connections (Ctrl+Enter)
composer-cannot-send = Cannot send: { $reason }
composer-sent-to = { $count ->
    [one] Sent to { $count } connection
   *[other] Sent to { $count } connections
}
composer-sent-queues-full = { $count } send queues full
composer-sent-not-open = { $count } not open
composer-cannot-build-message = the message cannot be built
composer-cannot-build-frame = the frame cannot be built
composer-tick-malformed-send = { $problems } (tick "Send malformed" to send it anyway)
composer-tick-malformed-forward = { $problem } (tick "Send malformed" to forward it anyway)
composer-no-open-connection = No open connection: Connect first
composer-connection-not-open = Connection #{ $id } is not open
composer-send-malformed = Send malformed
composer-send-malformed-hover = Send even when the message has problems (to test how a peer copes)
composer-all-open = All open connections ({ $count })
composer-target-hover = Send to every open connection, or to one (also picked by clicking it in the client list)

## The header fields.

composer-header = Header
composer-byteorder-hover = The sender's byte order, as Python's sys.byteorder names it
composer-content-type-hover = What the content is; pick a preset or type any text
composer-content-encoding-hover = How the content is encoded: text and JSON content is written in it (gbk, big5, utf-16le ... any name Python accepts), binary for bytes; pick a preset or type one
composer-length-computed = { $length } (computed)
composer-length-computed-hover = The true length of the content in bytes
composer-override = Override
composer-override-hover = Send another content-length, to test how a peer copes with a wrong one
composer-length-value-hover = The content-length to send: JSON (e.g. 999, -1, "abc") or text
composer-length-value-disabled = Tick Override to send a content-length of your own
composer-custom-key-hint = key
composer-custom-key-hover = Key of custom field { $index }
composer-custom-value-hint = value: JSON or text
composer-custom-value-hover = Sent as JSON when it is valid JSON (42, true, [1]), else as a string
composer-remove = Remove
composer-remove-hover = Remove custom field { $index }
composer-add-field = Add field
composer-add-field-hover = Add a custom header field (the header is a dict: add what you need)
composer-presets-hover = Common values of { $field }

## The content.

composer-content = Content
composer-kind-text = Text
composer-kind-json = JSON
composer-kind-hex = Hex
composer-kind-file = File
composer-kind-text-hover = UTF-8 text, sent as typed
composer-kind-json-hover = JSON, checked as you type, sent as typed
composer-kind-hex-hover = Hex bytes, e.g. 00 ff 7b; spaces are ignored
composer-kind-file-hover = The bytes of a file (at most 16 MiB)
composer-choose-file = Choose file…
composer-choose-file-hover = Pick the file whose bytes are the content
composer-no-file = no file chosen
composer-reading-file = reading { $file }
composer-hex-hint = hex bytes, e.g. 7b 7d
composer-text-hint = text to send
composer-content-hover = The content (Ctrl+Enter sends)

## What is wrong with a draft.

composer-choose-file-for-content = choose a file for the content
composer-invalid-json = the content is not valid JSON: { $error }
composer-content-over-limit = the content is { $length } bytes, over the { $limit } MiB content limit
composer-length-overridden = content-length is overridden to { $value }; the content is { $length } bytes
composer-content-type-empty = content-type is empty
composer-content-encoding-empty = content-encoding is empty
composer-custom-no-key = custom field { $index } has no key
composer-custom-required = "{ $key }" is set above; remove the custom field of that name
composer-custom-twice = the key "{ $key }" appears twice
composer-frame-header-cut = the frame's header is cut short or not UTF-8
composer-frame-header-not-json = the frame's header is not a JSON object: { $error }

## The form of a profile's fields.

composer-field-not-keep-profile = the frame does not keep profile { $profile }: { $why }
composer-field-absent-hover = Not in this frame: it is there only when another field has certain values (its `when`)
composer-field-conditional-hover = In the frame only when another field has certain values (its `when`)
composer-field-computed-hint = computed
composer-field-empty-hint = 0 / empty
composer-field-computed-hover = Computed unless you type a value (to send a wrong one)
composer-field-value-hover = A number (12, -5, 0x1F), hex bytes (0x0102, 01 02) or text

## Inject into a relayed conversation.

composer-inject-heading = Inject into a relayed conversation
composer-inject-conversation = Conversation
composer-inject-conversation-hover = The open relayed conversation to send into (newest first)
composer-inject-conversation-item = #{ $id } from { $client }
composer-inject-to-server-hover = To the target, as if the client had sent it
composer-inject-to-client-hover = To the client, as if the target had answered it
composer-inject = Inject
composer-inject-hover = Send the previewed bytes into conversation #{ $conversation } { $toward }, after what is already queued that way

## Editing a held frame.

composer-edit-too-large = held frame #{ $id } is too large to edit in the composer ({ $size }, at most { $limit }): forward or drop it
composer-edit-cannot = held frame #{ $id } cannot be edited: { $why }
composer-edit-banner = Editing held frame #{ $id } (conversation #{ $conversation }, { $toward })
composer-edit-raw-note = A raw chunk: the content is its bytes. Forward edited sends them in its place.
composer-edit-profile-note = Change any field; lengths and checksums follow unless typed. Forward edited sends the preview in its place.
composer-edit-frame-note = Change any header field or the content; Forward edited sends the preview in its place.
composer-edit-gone = Held frame #{ $id } is no longer held (its time was up, its conversation closed, or it was let go): Cancel to go back
composer-forward-edited = Forward edited
composer-forward-edited-hover = Send the previewed bytes { $toward } in place of held frame #{ $id } ({ $shortcut })
composer-edit-cancel = Cancel
composer-edit-cancel-hover = Stop editing: the frame stays held, and the composer gets back what it had
composer-edit-kept = It waits while you edit (the hold time-out is paused); Cancel lets the time-out run again from the start.
composer-edit-left-forward = It goes on unedited by itself in { $seconds } s (the hold time-out) unless forwarded first.
composer-edit-left-drop = It is dropped by itself in { $seconds } s (the hold time-out) unless forwarded first.
composer-cannot-forward = Cannot forward: { $why }
