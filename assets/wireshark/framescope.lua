-- framescope.lua: a Wireshark dissector for the JSON-header protocol of the
-- Python multi-connection socket tutorial, as framescope speaks it.
--
-- A frame is a 2-byte big-endian proto-header (the JSON header's length),
-- a UTF-8 JSON header (byteorder, content-type, content-encoding,
-- content-length, and any other fields), then content-length bytes of
-- content. Frames split across TCP segments are reassembled, and several
-- frames in one segment are each shown.
--
-- Install: copy this file into Wireshark's personal Lua plugins folder
-- (Help > About Wireshark > Folders > Personal Lua Plugins), or run
--   wireshark -X lua_script:framescope.lua capture.pcapng
--   tshark -X lua_script:framescope.lua -r capture.pcapng -O framescope
-- It decodes TCP port 8800 (framescope's default); change the port in
-- Preferences > Protocols > FRAMESCOPE, or use Decode As.

local proto = Proto("framescope", "framescope JSON-header protocol")

local f = {
  proto_header = ProtoField.uint16("framescope.proto_header", "Proto-header (header length)", base.DEC),
  header = ProtoField.string("framescope.header", "JSON header"),
  field = ProtoField.string("framescope.field", "Header field"),
  byteorder = ProtoField.string("framescope.byteorder", "byteorder"),
  content_type = ProtoField.string("framescope.content_type", "content-type"),
  content_encoding = ProtoField.string("framescope.content_encoding", "content-encoding"),
  content_length = ProtoField.uint32("framescope.content_length", "content-length", base.DEC),
  content = ProtoField.bytes("framescope.content", "Content"),
  content_text = ProtoField.string("framescope.content_text", "Content (text)"),
}
proto.fields = f

local e_bad_header = ProtoExpert.new("framescope.bad_header", "The header is not a JSON object with content-length",
  expert.group.MALFORMED, expert.severity.ERROR)
proto.experts = { e_bad_header }

proto.prefs.port = Pref.uint("TCP port", 8800, "The TCP port the protocol runs on")

-- The top-level "key": value pairs of a flat JSON object, with where each
-- pair starts and ends in `text` (1-based), in the order they appear.
local function json_fields(text)
  local fields = {}
  local i = text:find("{", 1, true)
  if not i then return nil end
  i = i + 1
  local n = #text
  while i <= n do
    local ks, ke = text:find('^%s*"', i)
    if not ks then break end
    local key_start = ke
    local j = ke + 1
    while j <= n and text:sub(j, j) ~= '"' do
      if text:sub(j, j) == "\\" then j = j + 1 end
      j = j + 1
    end
    local key = text:sub(key_start + 1, j - 1)
    local colon = text:find(":", j + 1, true)
    if not colon then break end
    local vs = text:find("%S", colon + 1)
    if not vs then break end
    local ve
    local first = text:sub(vs, vs)
    if first == '"' then
      ve = vs + 1
      while ve <= n and text:sub(ve, ve) ~= '"' do
        if text:sub(ve, ve) == "\\" then ve = ve + 1 end
        ve = ve + 1
      end
    elseif first == "{" or first == "[" then
      local close = first == "{" and "}" or "]"
      local depth, in_string = 0, false
      ve = vs
      while ve <= n do
        local c = text:sub(ve, ve)
        if in_string then
          if c == "\\" then ve = ve + 1 elseif c == '"' then in_string = false end
        elseif c == '"' then in_string = true
        elseif c == first then depth = depth + 1
        elseif c == close then depth = depth - 1; if depth == 0 then break end
        end
        ve = ve + 1
      end
    else
      ve = (text:find("[,}%s]", vs) or (n + 1)) - 1
    end
    local value = text:sub(vs, ve)
    table.insert(fields, { key = key, value = value, from = key_start, to = ve })
    local comma = text:find("^%s*,", ve + 1)
    if not comma then break end
    i = text:find(",", ve + 1, true) + 1
  end
  return fields
end

local function unquote(value)
  if value:sub(1, 1) == '"' and value:sub(-1) == '"' then
    return value:sub(2, -2)
  end
  return value
end

-- How long the frame starting at `offset` is, from its proto-header and
-- its header's content-length; nil while more bytes are needed.
local function frame_length(tvb, pinfo, offset)
  local available = tvb:len() - offset
  if available < 2 then return nil end
  local header_len = tvb(offset, 2):uint()
  if available < 2 + header_len then return nil end
  local text = tvb(offset + 2, header_len):string(ENC_UTF_8)
  local length = text:match('"content%-length"%s*:%s*(%d+)')
  if not length then
    -- Not a frame of the protocol: take the header alone.
    return 2 + header_len
  end
  return 2 + header_len + tonumber(length)
end

local function dissect_frame(tvb, pinfo, tree)
  pinfo.cols.protocol = "FRAMESCOPE"
  local header_len = tvb(0, 2):uint()
  local item = tree:add(proto, tvb(), "framescope frame")
  item:add(f.proto_header, tvb(0, 2))
  local header_range = tvb(2, header_len)
  local text = header_range:string(ENC_UTF_8)
  local header_item = item:add(f.header, header_range)
  local fields = json_fields(text)
  local content_type, content_length = "", nil
  if not fields then
    header_item:add_proto_expert_info(e_bad_header)
  else
    for _, field in ipairs(fields) do
      local range = tvb(2 + field.from - 1, field.to - field.from + 1)
      local value = unquote(field.value)
      if field.key == "byteorder" then
        header_item:add(f.byteorder, range, value)
      elseif field.key == "content-type" then
        header_item:add(f.content_type, range, value)
        content_type = value
      elseif field.key == "content-encoding" then
        header_item:add(f.content_encoding, range, value)
      elseif field.key == "content-length" then
        content_length = tonumber(value)
        if content_length then
          header_item:add(f.content_length, range, content_length)
        end
      else
        header_item:add(f.field, range, field.key .. ": " .. field.value)
      end
    end
    if content_length == nil then
      header_item:add_proto_expert_info(e_bad_header)
    end
  end
  local content_start = 2 + header_len
  local content_len = tvb:len() - content_start
  if content_len > 0 then
    local content = tvb(content_start, content_len)
    item:add(f.content, content)
    if content_type:sub(1, 5) == "text/" then
      item:add(f.content_text, content, content:string(ENC_UTF_8))
    end
  end
  pinfo.cols.info:append(string.format(" [%s, %d bytes]", content_type, content_len))
end

function proto.dissector(tvb, pinfo, tree)
  local offset = 0
  local total = tvb:len()
  while offset < total do
    local length = frame_length(tvb, pinfo, offset)
    if (length == nil or offset + length > total) and pinfo.can_desegment == 0 then
      -- A datagram (UDP) that ends inside its frame: nothing more comes.
      pinfo.cols.info:set("framescope: the datagram ends inside a frame")
      tree:add(proto, tvb(offset))
      return total
    end
    if length == nil then
      -- Ask TCP for more bytes: the rest of this frame is in later segments.
      pinfo.desegment_offset = offset
      pinfo.desegment_len = DESEGMENT_ONE_MORE_SEGMENT
      return total
    end
    if offset + length > total then
      pinfo.desegment_offset = offset
      pinfo.desegment_len = offset + length - total
      return total
    end
    -- The Info column is ours once a whole frame is here; a segment that
    -- only starts one keeps TCP's, as the segments after it do.
    if offset == 0 then pinfo.cols.info:set("framescope") end
    dissect_frame(tvb(offset, length):tvb(), pinfo, tree)
    offset = offset + length
  end
  return offset
end

-- The port is registered for TCP and for UDP alike: over UDP each
-- datagram holds one frame whole.
local PORT_TABLES = { "tcp.port", "udp.port" }
local registered_port = nil
function proto.prefs_changed()
  for _, name in ipairs(PORT_TABLES) do
    local ports = DissectorTable.get(name)
    if registered_port then ports:remove(registered_port, proto) end
    ports:add(proto.prefs.port, proto)
  end
  registered_port = proto.prefs.port
end

for _, name in ipairs(PORT_TABLES) do
  DissectorTable.get(name):add(proto.prefs.port, proto)
end
registered_port = proto.prefs.port
