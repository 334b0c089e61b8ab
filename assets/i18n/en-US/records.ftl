# The records area of the window, in English.

## The frames table
records-empty-filtered = No record matches the filters.
records-empty-live = No records yet. Start the server, connect and send: every frame on both sides shows here.
records-empty-log = This log holds no records.
records-shown = { $shown } of { $total } records shown
records-shown-hover = Records that pass the filters, of all the records held
records-filtering = filtering… { $percent }%
records-dropped = { $count } dropped
records-dropped-hover = Oldest records let go to keep the journal within its bounds (records and bytes)
records-follow-newest = Follow newest
records-follow-newest-hover = Keep the newest record in view as records arrive (scrolling back stops it)
records-clear-log = Clear log
records-clear-log-hover = Forget every record held (counters keep running)
records-clear-log-empty = The log is empty
records-col-seq = #
records-col-seq-hover = Sequence number in the journal
records-col-time = Time
records-col-time-hover = When the record was made
records-col-side = Side
records-col-side-hover = The embedded server or the client pool
records-col-conn = Conn
records-col-conn-hover = Connection number
records-col-dir = Dir
records-col-dir-hover = Sent or received, seen from framescope
records-col-content-type = Content-Type
records-col-content-type-hover = The header's content-type (raw for raw chunks)
records-col-length = Length
records-col-length-hover = Bytes on the wire
records-col-summary = Summary
records-col-summary-hover = The start of the content, or the decode error
records-held-help = Held by intercept: Forward, Edit or Drop it in the Intercept panel under the server
records-held-row = held · { $summary }
records-follow-conversation = Follow conversation
records-follow-conversation-menu-hover = Show the relayed conversation in order: both legs, client to target and back
records-follow-conversation-hover = Show the relayed conversation in order: both legs, client to target and back, as text, hex or frames (Ctrl+Shift+F)
records-follow-leg = Follow this leg
records-follow-leg-hover = Show only this leg's connection, both directions in order
records-follow-stream = Follow stream
records-follow-stream-menu-hover = Show this connection's two directions in order
records-follow-stream-hover = Show this connection's two directions in order, as text, hex or frames (Ctrl+Shift+F)

## The filters
records-filter-both = both
records-filter-side = Side
records-filter-side-hover = Show one side only
records-filter-dir = Dir
records-filter-dir-hover = Show one direction only
records-filter-conn = Conn
records-filter-conn-hint = all
records-filter-conn-hover = Show one connection only (its number)
records-filter-find = Find
records-filter-find-hint = header, content or error text
records-filter-find-hover = Show records whose header, first 1 KiB of content or error contains this (any case)
records-filter-errors-only = Errors only
records-filter-errors-only-hover = Show decode errors only

## Sides, legs, directions and kinds of records (records-side-<side_text or leg_text>,
## records-dir-<direction_text>, records-kind-<kind_text>, spaces as dashes)
records-side-server = server
records-side-client = client
records-side-client-leg = client leg
records-side-target-leg = target leg
records-dir-sent = sent
records-dir-received = received
records-kind-frame = frame
records-kind-chunk = chunk
records-kind-decode-error = decode error
records-kind-tls-handshake = TLS handshake
records-kind-note = note

## The selected record
records-record-title = Record #{ $seq }
records-copy-text = Copy as text
records-copy-text-hover = Copy the record's bytes as text (bytes that are not UTF-8 are replaced)
records-copy-hex = Copy as hex
records-copy-hex-hover = Copy the record's bytes as a hex dump
records-conn = conn #{ $conn }
records-peer = (peer { $peer })
records-note-what = framescope's note
records-decode-error = Decode error: { $error }
records-captured = Captured { $captured } of the { $wire } bytes on the wire
records-relayed-client-leg = Relayed: the client's leg of conversation #{ $conn }; the target's leg is client connection #{ $other }
records-relayed-target-leg = Relayed: the target's leg of conversation #{ $other }; the client's leg is server connection #{ $other }
records-fields = Fields ({ $profile })
records-header = Header
records-chunk-no-header = A raw chunk has no header.
records-content = Content
records-malformed = Some bytes do not decode as { $encoding }, the content-encoding the header names: they show as �; the bytes below are as sent.
records-binary = { $count } bytes of binary content: see the bytes below.
records-no-content = (no content)
records-note-remark = A note is framescope's remark on the connection: no byte of it crossed the wire.
records-row-proto-header = (proto-header)
records-row-proto-header-value = { $value } (0x{ $hex }) header bytes
records-row-content = (content)
records-row-content-value = { $count } bytes
records-header-not-object = The header is JSON but not an object.
records-header-not-json = The header does not parse as JSON: { $error }
records-tls-none = (none)
records-tls-version = version
records-tls-cipher-suite = cipher suite
records-tls-peer-subject = peer subject
records-tls-peer-issuer = peer issuer
records-tls-valid-from = valid from
records-tls-valid-until = valid until
records-tls-names = names
records-tls-peer-certificate = peer certificate
records-bytes = Bytes
records-bytes-hint = (hover a field or a byte)
records-dots = Dots
records-dots-hover = The text beside the bytes as classic dots (printable ASCII only), instead of each character under its first byte in the content's encoding

## The byte view
records-legend-proto-header = proto-header
records-legend-header = header
records-legend-content = content
records-no-bytes = (no bytes)

## The Follow stream window
records-follow-title = Follow stream: { $title }
records-follow-relayed-title = relayed conversation #{ $conn } ({ $legs })
records-follow-saved-to = Saved to
records-follow-empty = No records of this connection yet: they show here as they arrive.
records-follow-left-off = The { $count } oldest turns are left off to keep the window quick: Copy and Save take them all.
records-follow-more-bytes = … { $count } more bytes: Copy or Save has them all
records-follow-show-as = Show as
records-follow-copy = Copy
records-follow-copy-hover = Copy the whole conversation, as shown, to the clipboard
records-follow-copy-disabled = Nothing to copy yet
records-follow-save = Save…
records-follow-save-hover = Save the whole conversation, as shown, to a text file
records-follow-save-disabled = Nothing to save yet, or a save is under way
records-follow-turns = { $count } turns, { $bytes }
records-follow-client = client
records-follow-relay = relay
records-follow-target = target
records-follow-to-server = to server
records-follow-to-client = to client
records-datagram = UDP datagram { $from } → { $to }
