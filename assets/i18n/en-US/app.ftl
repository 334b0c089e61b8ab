# The app area of the window, in English.

app-language = Language
app-language-hover = The language of the window (the command line stays English)

## Top bar

app-save-log = Save log…
app-save-log-hover = Save every record to a file: .jsonl can be opened again, .txt is for reading
app-save-log-busy = A dialog is open or a save is under way
app-open-log = Open log…
app-open-log-hover = Open a saved JSON Lines log to inspect it in the frames table
app-open-log-busy = A dialog is open
app-theme-light = Light theme
app-theme-light-hover = Switch to the light theme
app-theme-dark = Dark theme
app-theme-dark-hover = Switch to the dark theme

## The composer's tabs

app-tab-send = Compose & send
app-tab-send-hover = Edit a message and send it to the client connections
app-tab-load = Load test
app-tab-load-hover = Send the composed frame over many connections for a while and measure
app-tab-scenarios = Scenarios
app-tab-scenarios-hover = Open, edit, run and record scenario files: steps that pass or fail
app-tab-profiles = Profiles
app-tab-profiles-hover = Write or change a profile file, check it compiles, and use it for the clients

## What a load run would send; engine busy

app-load-frame-raw = { $count } bytes of raw content (the client mode is raw)
app-load-frame-composed = { $count } bytes, the composed frame
app-load-frame-unbuilt = the message cannot be built
app-busy-run = the engine is busy: try Run again in a moment
app-busy-start = the engine is busy: try Start again in a moment

## Held frames, injection, profiles

app-held-gone = held frame #{ $id } is no longer held
app-forwarded-edited = Forwarded held frame #{ $id }, edited ({ $count } bytes)
app-inject-failed = Could not inject: { $error }
app-injected = Injected { $count } bytes into conversation #{ $conversation } { $toward }
app-profile-opened = Opened profile { $name } from { $file }
app-profile-unusable = Could not use the profile file: { $error }
app-profile-in-use = The clients now speak profile { $name }: Connect opens connections with it

## The frames panel's header

app-frames = Frames
app-source = Source
app-source-live = Live
app-source-live-hover = The records of this session, as they arrive
app-source-file-hover = The log opened from { $path }
app-times = Times
app-times-local = Local
app-times-local-hover = Show times in this computer's time zone
app-times-utc = UTC
app-times-utc-hover = Show times in UTC
app-raw-as = Raw as
app-raw-as-hover = How raw chunks' bytes read as text in the table and the record detail (framed content reads in the encoding its header names)

## Status bar

app-status-client = Client
app-status-server = Server
app-status-relay = Relay
app-status-sent-received = { $name }: { $sent } sent · { $received } received
app-status-received-sent = { $name }: { $received } received · { $sent } sent
app-status-client-hover = Frames (or raw chunks) the client has sent and received; { $in } in, { $out } out
app-status-server-hover = Frames (or raw chunks) the server has sent and received; { $in } in, { $out } out
app-status-relay-hover = Frames (or raw chunks) the relay has sent and received; { $in } in, { $out } out
app-status-errors = { $count } errors
app-status-records = { $count } records · { $bytes }
app-status-records-hover = Records held in the journal, and their bytes
app-status-dropped = { $count } dropped
app-status-dropped-hover = Records let go to keep the journal within its bounds
app-status-rate = { $rate } frames/s
app-status-rate-hover = Frames per second, every side and direction, over the last second
app-status-rtt = RTT { $percentiles }
app-status-rtt-hover = Round-trip latency of echoed frames

## Charts

app-chart-rate = Frames per second
app-chart-rate-now = now { $rate }/s, last { $window } s
app-chart-seconds-ago = seconds ago
app-chart-rate-series = frames/s
app-chart-latency = Round-trip latency
app-chart-round-trips = { $count ->
    [0] no round trips yet
    [one] 1 round trip
   *[other] { $count } round trips
}
app-chart-latency-hover = Timed by the client pool, from send to echo
app-chart-latency-series = round trips
app-percentiles = p50 { $p50 } · p90 { $p90 } · p99 { $p99 } · max { $max }

## Journal

app-journal = Journal
app-capture = Capture
app-capture-hover = How much of each frame the journal keeps, from now on
app-capture-full = full
app-capture-full-hover = Keep every byte of every frame
app-capture-headers = headers only
app-capture-headers-hover = Keep the proto-header and header of frames and the first 64 bytes of chunks: for long or heavy runs
app-capture-off = off
app-capture-off-hover = Keep no records at all; counters, rates and latency still run (for load runs)
app-capture-applying = applying…
app-keep-records = Keep records
app-keep-records-hover = Most records held; the oldest fall out beyond it (and are counted)
app-keep-mib = Keep MiB
app-keep-mib-hover = Most captured bytes held; the oldest records fall out beyond it

## The server's address

app-address-empty = enter an address such as 127.0.0.1:8800
app-address-bad-port = "{ $port }" is not a port (0 to 65535)
app-address-no-port = "{ $text }" has no port: write it as host:port, e.g. 127.0.0.1:8800
app-address-ipv6-brackets = write an IPv6 address in brackets: [{ $host }]:{ $port }
app-address-not-ip = "{ $host }" is not an IP address: the server listens on one, e.g. 127.0.0.1 or 0.0.0.0

## TCP or UDP, in the server and client forms and the Load tab

app-transport = Transport
app-transport-tcp-hover = TCP: a stream; frames are cut from the bytes as they arrive
app-transport-udp-hover = UDP: each datagram is one frame (or raw chunk); the server keeps a session per peer address
