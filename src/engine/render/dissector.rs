//! A Wireshark dissector in Lua, generated from a profile (`framescope
//! dissector PROFILE --out FILE.lua`): each field and bits sub-field is a
//! field of Wireshark's own (`fs_<profile>.<field>`), enums are value
//! strings, and frames are found in the TCP stream by the rules framescope
//! itself frames by (`walk.rs`): fixed sizes, varints, lengths of listed
//! fields or of the rest of the frame, `when` conditions, a delimiter or a
//! fixed size. Frames split across segments are reassembled; checksums of
//! up to 32 bits are checked.
//!
//! The Lua is written for the Lua 5.2 of Wireshark 4.0: whole numbers are
//! doubles (64-bit fields go through `UInt64`), and it needs no bit
//! library (it uses `bit32` where there is one). Its protocol is
//! `fs_<profile>`, so it never clashes with Wireshark's own dissectors of
//! the same protocols (`mqtt`, `mbtcp`, `dns`).

use crate::engine::protocol::hex::to_hex;
use crate::engine::protocol::profile::{
    BitsField, ChecksumRecipe, Covers, Endian, Field, FieldRef, Framing, Kind, Profile, Role, Size,
    Value, When, mask,
};

/// Why a profile gets no generated dissector.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DissectorError {
    /// Its framing is one the generator does not write.
    #[error("profile {profile}: the \"{framing}\" framing has no generated dissector: {instead}")]
    Framing {
        /// The profile's name.
        profile: String,
        /// The framing, as a profile names it: `raw`, `resp` or `json-header`.
        framing: &'static str,
        /// What to do instead.
        instead: &'static str,
    },
    /// A field whose name Wireshark refuses in a filter name.
    #[error(
        "profile {profile}: field \"{field}\" cannot end a Wireshark filter name, which may not start or end with '.' nor hold \"..\": rename it"
    )]
    FieldName {
        /// The profile's name.
        profile: String,
        /// The field's name.
        field: String,
    },
}

/// The Lua source of a Wireshark dissector for `profile`, decoding TCP
/// `port` (default: the profile's `port`, else none until one is chosen in
/// Wireshark's preferences). A profile framed raw, as RESP or as the
/// JSON-header protocol is refused, naming its framing.
pub fn lua_dissector(profile: &Profile, port: Option<u16>) -> Result<String, DissectorError> {
    refuse_framing(profile)?;
    check_field_names(profile)?;
    let port = port.or(profile.port()).unwrap_or(0);
    let names = Names::of(profile);
    let sets = condition_sets(profile);
    let mut lua = header(profile, &names, port);
    lua.push('\n');
    lua.push_str(&format!(
        "local proto = Proto(\"{}\", {})\n\n",
        names.proto,
        lua_string(&format!("framescope profile {}", profile.name()))
    ));
    lua.push_str(&format!(
        "-- The longest frame the profile allows.\nlocal MAX_FRAME = {}\n\n",
        profile.max_frame()
    ));
    let enums = enum_tables(profile);
    if !enums.is_empty() {
        lua.push_str(&enums);
        lua.push('\n');
    }
    lua.push_str(&field_declarations(profile, &names.proto));
    lua.push('\n');
    lua.push_str(&experts(&names));
    lua.push('\n');
    lua.push_str(&format!(
        "proto.prefs.port = Pref.uint(\"Port\", {port}, \"The TCP and UDP port the protocol runs on\")\n\n"
    ));
    let sets_lua = sets_code(&sets);
    if !sets_lua.is_empty() {
        lua.push_str(&sets_lua);
        lua.push('\n');
    }
    lua.push_str(&helpers(profile));
    lua.push('\n');
    lua.push_str(&walk(profile, &sets));
    lua.push_str(&framing(profile));
    lua.push_str(&DISSECTOR.replace("@COLUMN@", &lua_string(profile.name())));
    Ok(lua)
}

/// Refuses the framings the generator does not write.
fn refuse_framing(profile: &Profile) -> Result<(), DissectorError> {
    let (framing, instead) = match profile.framing() {
        Framing::Fields | Framing::Delimiter(_) | Framing::Fixed(_) | Framing::Datagram => {
            return Ok(());
        }
        Framing::Raw => (
            "raw",
            "each read is a chunk, with no frames to find fields in; describe the frames with fields and a length, a delimiter or a size",
        ),
        Framing::Resp => (
            "resp",
            "Redis's nested arrays and bulk strings are not fields a generated dissector can walk",
        ),
        Framing::JsonHeader => (
            "json-header",
            "the tutorial's protocol has a dissector of its own, assets/wireshark/framescope.lua, for the pcapng that `framescope export` writes",
        ),
    };
    Err(DissectorError::Framing {
        profile: profile.name().to_owned(),
        framing,
        instead,
    })
}

/// Refuses a field name Wireshark would refuse after `fs_<profile>.`.
fn check_field_names(profile: &Profile) -> Result<(), DissectorError> {
    let refused = profile
        .field_names()
        .into_iter()
        .find(|name| name.starts_with('.') || name.ends_with('.') || name.contains(".."));
    match refused {
        Some(field) => Err(DissectorError::FieldName {
            profile: profile.name().to_owned(),
            field: field.to_owned(),
        }),
        None => Ok(()),
    }
}

/// The names the dissector registers besides its fields': the protocol's,
/// and its two expert infos' (unlike any field's).
struct Names {
    /// `fs_<profile>`, lower case, `-` and `.` as `_`.
    proto: String,
    /// A frame that breaks the profile.
    fault: String,
    /// A checksum that does not match.
    checksum_bad: String,
}

impl Names {
    fn of(profile: &Profile) -> Names {
        Names {
            proto: proto_name(profile.name()),
            fault: unlike_fields(profile, "fault"),
            checksum_bad: unlike_fields(profile, "checksum_bad"),
        }
    }
}

/// The protocol's filter name: `fs_` and the profile's name, lower case,
/// with anything but letters and digits as `_`.
fn proto_name(name: &str) -> String {
    let tail: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("fs_{tail}")
}

/// `base`, with `_` added until no field or bits sub-field has the name.
fn unlike_fields(profile: &Profile, base: &str) -> String {
    let taken = profile.field_names();
    let mut name = base.to_owned();
    while taken.contains(&name.as_str()) {
        name.push('_');
    }
    name
}

/// The comment the file opens with: what it is, that it is generated, how
/// to load it and which names it filters by.
fn header(profile: &Profile, names: &Names, port: u16) -> String {
    let proto = &names.proto;
    let about = if profile.description().is_empty() {
        String::new()
    } else {
        format!(" ({})", one_line(profile.description()))
    };
    let mut lines = vec![
        format!(
            "-- A Wireshark dissector for the framescope profile \"{}\"{about}.",
            one_line(profile.name())
        ),
        "--".to_owned(),
        format!(
            "-- Generated by framescope {} from the profile; do not edit it: change the",
            env!("CARGO_PKG_VERSION")
        ),
        "-- profile and generate it again (framescope dissector PROFILE --out FILE.lua)."
            .to_owned(),
        "--".to_owned(),
        format!("-- Load it with: tshark -X lua_script:FILE.lua -r capture.pcapng -O {proto}"),
        "-- or copy it into Wireshark's personal Lua plugins folder.".to_owned(),
    ];
    if port == 0 {
        lines.push(format!(
            "-- It decodes no port until one is chosen with -o {proto}.port:N, in"
        ));
    } else {
        lines.push(format!(
            "-- It decodes TCP and UDP port {port}; choose another with -o {proto}.port:N, in"
        ));
    }
    lines.push(format!(
        "-- Preferences > Protocols > {}, or with Decode As.",
        proto.to_uppercase()
    ));
    lines.push(format!(
        "-- Each field's filter name is {proto}.FIELD; a frame that breaks the"
    ));
    lines.push(format!(
        "-- profile is flagged {proto}.{}, a wrong checksum {proto}.{}.",
        names.fault, names.checksum_bad
    ));
    let roles = profile
        .fields
        .iter()
        .any(|field| field.when.as_ref().is_some_and(|when| when.role.is_some()));
    if roles {
        lines.push(
            "-- Requests and replies differ: a frame sent to the port is a request.".to_owned(),
        );
    }
    lines.join("\n") + "\n"
}

/// The profile's enums as value strings, in a table by enum name.
fn enum_tables(profile: &Profile) -> String {
    if profile.enums.is_empty() {
        return String::new();
    }
    let mut lua = String::from("-- The profile's enums, as value strings.\nlocal names = {}\n");
    for table in &profile.enums {
        lua.push_str(&format!("names[{}] = {{\n", lua_string(&table.name)));
        for (value, label) in &table.entries {
            lua.push_str(&format!("  [{value}] = {},\n", lua_string(label)));
        }
        lua.push_str("}\n");
    }
    lua
}

/// A `ProtoField` for each field and bits sub-field, in frame order.
fn field_declarations(profile: &Profile, proto: &str) -> String {
    let mut lua = String::from("-- The fields and bits sub-fields, by name.\nlocal f = {}\n");
    let mut order = Vec::new();
    for field in &profile.fields {
        lua.push_str(&format!(
            "f[{}] = {}\n",
            lua_string(&field.name),
            proto_field(profile, proto, field)
        ));
        order.push(field.name.as_str());
        for bits in &field.bits {
            lua.push_str(&format!(
                "f[{}] = {}\n",
                lua_string(&bits.name),
                bits_proto_field(profile, proto, field, bits)
            ));
            order.push(bits.name.as_str());
        }
    }
    lua.push_str("proto.fields = {\n");
    for name in order {
        lua.push_str(&format!("  f[{}],\n", lua_string(name)));
    }
    lua.push_str("}\n");
    lua
}

/// A field's `ProtoField`: its type, filter name, label, base (hex for a
/// checksum) and value string.
fn proto_field(profile: &Profile, proto: &str, field: &Field) -> String {
    let kind = proto_field_type(field.kind);
    let abbreviation = lua_string(&format!("{proto}.{}", field.name));
    let label = lua_string(&field.name);
    match field.kind {
        Kind::Bytes | Kind::Str | Kind::Json | Kind::F32 | Kind::F64 => {
            format!("ProtoField.{kind}({abbreviation}, {label})")
        }
        Kind::Uint(_) | Kind::Int(_) | Kind::Varint(_) => {
            let base = if field.checksum.is_some() {
                "base.HEX"
            } else {
                "base.DEC"
            };
            let names = labels(profile, field.enum_table);
            format!("ProtoField.{kind}({abbreviation}, {label}, {base}{names})")
        }
    }
}

/// A bits sub-field's `ProtoField`: its container's type with its mask, so
/// Wireshark takes the bits out itself; in a 64-bit container (whose mask
/// Wireshark 4.0 cuts to 32 bits), a `uint64` given its value.
fn bits_proto_field(profile: &Profile, proto: &str, field: &Field, bits: &BitsField) -> String {
    let abbreviation = lua_string(&format!("{proto}.{}", bits.name));
    let label = lua_string(&bits.name);
    let names = bits
        .enum_table
        .map_or_else(|| "nil".to_owned(), |table| value_string(profile, table));
    if wide_container(field) {
        format!("ProtoField.uint64({abbreviation}, {label}, base.DEC, {names})")
    } else {
        format!(
            "ProtoField.{}({abbreviation}, {label}, base.DEC, {names}, 0x{:X})",
            proto_field_type(field.kind),
            mask(bits.width) << bits.shift
        )
    }
}

/// The `ProtoField` constructor for a kind of field.
fn proto_field_type(kind: Kind) -> &'static str {
    match kind {
        Kind::Uint(1) => "uint8",
        Kind::Uint(2) => "uint16",
        Kind::Uint(4) => "uint32",
        Kind::Uint(_) => "uint64",
        Kind::Int(1) => "int8",
        Kind::Int(2) => "int16",
        Kind::Int(4) => "int32",
        Kind::Int(_) => "int64",
        Kind::F32 => "float",
        Kind::F64 => "double",
        // Four LEB128 bytes hold 28 bits.
        Kind::Varint(max_bytes) if max_bytes <= 4 => "uint32",
        Kind::Varint(_) => "uint64",
        Kind::Bytes => "bytes",
        Kind::Str | Kind::Json => "string",
    }
}

/// Whether a field is a 64-bit container of bits sub-fields.
fn wide_container(field: &Field) -> bool {
    field.kind == Kind::Uint(8) && !field.bits.is_empty()
}

/// The Lua for an enum's value string.
fn value_string(profile: &Profile, table: usize) -> String {
    format!("names[{}]", lua_string(&profile.enums[table].name))
}

/// `, <value string>` for a field with an enum, else nothing.
fn labels(profile: &Profile, table: Option<usize>) -> String {
    table
        .map(|table| format!(", {}", value_string(profile, table)))
        .unwrap_or_default()
}

/// The two expert infos: a frame that breaks the profile, a checksum that
/// does not match.
fn experts(names: &Names) -> String {
    let proto = &names.proto;
    format!(
        "local e_fault = ProtoExpert.new(\"{proto}.{}\", \"The frame breaks the profile\",\n  \
         expert.group.MALFORMED, expert.severity.ERROR)\n\
         local e_checksum = ProtoExpert.new(\"{proto}.{}\", \"The checksum does not match\",\n  \
         expert.group.CHECKSUM, expert.severity.ERROR)\n\
         proto.experts = {{ e_fault, e_checksum }}\n",
        names.fault, names.checksum_bad
    )
}

/// The lists of values that `when` conditions of more than one value look
/// for, each once, in field order.
fn condition_sets(profile: &Profile) -> Vec<Vec<u64>> {
    let mut sets: Vec<Vec<u64>> = Vec::new();
    for when in profile
        .fields
        .iter()
        .filter_map(|field| field.when.as_ref())
    {
        let values = sorted_values(when);
        if values.len() > 1 && !sets.contains(&values) {
            sets.push(values);
        }
    }
    sets
}

/// A condition's values, sorted, each once.
fn sorted_values(when: &When) -> Vec<u64> {
    let mut values = when.values.clone();
    values.sort_unstable();
    values.dedup();
    values
}

/// The sets of [`condition_sets`] as Lua tables.
fn sets_code(sets: &[Vec<u64>]) -> String {
    if sets.is_empty() {
        return String::new();
    }
    let mut lua = String::from("-- The values `when` conditions look for.\nlocal sets = {}\n");
    for (index, values) in sets.iter().enumerate() {
        let members: Vec<String> = values.iter().map(|v| format!("[{v}] = true")).collect();
        lua.push_str(&format!(
            "sets[{}] = {{ {} }}\n",
            index + 1,
            members.join(", ")
        ));
    }
    lua
}

/// The name of a condition's source: a field or a bits sub-field.
fn source_name(profile: &Profile, source: FieldRef) -> &str {
    match source {
        FieldRef::Field(index) => &profile.fields[index].name,
        FieldRef::Bits(index, bit) => &profile.fields[index].bits[bit].name,
    }
}

/// A `when` condition as a Lua expression over the values read so far
/// (`v`) and whether the frame is a request.
fn condition(profile: &Profile, when: &When, sets: &[Vec<u64>]) -> String {
    let source = lua_string(source_name(profile, when.source));
    let values = sorted_values(when);
    let test = match values.as_slice() {
        [] => "false".to_owned(),
        [only] => format!("v[{source}] == {only}"),
        _ => {
            let number = sets
                .iter()
                .position(|set| *set == values)
                .expect("every list of values has its set");
            format!("sets[{}][v[{source}]]", number + 1)
        }
    };
    match when.role {
        Some(Role::Request) => format!("request and {test}"),
        Some(Role::Reply) => format!("not request and {test}"),
        None => test,
    }
}

/// A field in words, for the comment above its Lua.
fn describe_field(profile: &Profile, field: &Field) -> String {
    let names_of = |indexes: &[usize]| {
        indexes
            .iter()
            .map(|&index| profile.fields[index].name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut parts = vec![type_text(field)];
    if let Some(constant) = &field.constant {
        parts.push(format!("const {}", show_constant(constant)));
    }
    match &field.length {
        Some(Covers::Rest) => parts.push("the length of the rest of the frame".to_owned()),
        Some(Covers::Fields(covered)) => {
            parts.push(format!("the length of {}", names_of(covered)));
        }
        None => {}
    }
    if let Some(job) = &field.checksum {
        parts.push(format!("{} of {}", job.name, names_of(&job.over)));
    }
    match field.size {
        Size::FromLength(length) => {
            parts.push(format!("sized by {}", profile.fields[length].name));
        }
        Size::Remainder => parts.push("the rest of the frame".to_owned()),
        Size::Fixed(_) | Size::Varint => {}
    }
    if let Some(when) = &field.when {
        let values: Vec<String> = sorted_values(when).iter().map(u64::to_string).collect();
        let listed = match values.as_slice() {
            [only] => only.clone(),
            _ => format!("one of {}", values.join(", ")),
        };
        let mut text = format!("when {} is {listed}", source_name(profile, when.source));
        match when.role {
            Some(Role::Request) => text.push_str(" in a request"),
            Some(Role::Reply) => text.push_str(" in a reply"),
            None => {}
        }
        parts.push(text);
    }
    one_line(&format!("{}: {}", field.name, parts.join(", ")))
}

/// A field's type as a profile writes it.
fn type_text(field: &Field) -> String {
    match field.kind {
        Kind::Uint(_) if !field.bits.is_empty() => "bits".to_owned(),
        Kind::Uint(bytes) => format!("u{}", u32::from(bytes) * 8),
        Kind::Int(bytes) => format!("i{}", u32::from(bytes) * 8),
        Kind::F32 => "f32".to_owned(),
        Kind::F64 => "f64".to_owned(),
        Kind::Varint(_) => "varint".to_owned(),
        Kind::Bytes => "bytes".to_owned(),
        Kind::Str => "str".to_owned(),
        Kind::Json => "json".to_owned(),
    }
}

/// A constant as framescope's decode errors show it.
fn show_constant(constant: &Value) -> String {
    match constant {
        Value::Uint(value) => format!("0x{value:02X}"),
        Value::Bytes(bytes) => to_hex(bytes),
        Value::Text(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The walk over every field, then the checks that need the whole frame:
/// bytes after the last field, checksums.
fn walk(profile: &Profile, sets: &[Vec<u64>]) -> String {
    let mut lua = String::from(WALK_OPENING);
    for index in 0..profile.fields.len() {
        lua.push('\n');
        lua.push_str(&field_code(profile, index, sets));
    }
    lua.push_str(WALK_CLOSING);
    for field in &profile.fields {
        if field.checksum.is_some() {
            lua.push_str(&checksum_code(profile, field));
        }
    }
    lua.push_str("  return pos\nend\n");
    lua
}

/// The Lua that walks one field: its condition, size, bounds, value, tree
/// items and summary, and what a length of the rest makes of the frame.
fn field_code(profile: &Profile, index: usize, sets: &[Vec<u64>]) -> String {
    let field = &profile.fields[index];
    let name = lua_string(&field.name);
    let mut lines = vec![format!("  -- {}", describe_field(profile, field))];
    lines.push(match &field.when {
        Some(when) => format!("  if {} then", condition(profile, when, sets)),
        None => "  do".to_owned(),
    });
    lines.extend(size_code(profile, index, sets));
    lines.push(format!(
        "    if pos + size > avail then return stop(tree, {name}, pos, size, avail) end"
    ));
    lines.push("    range = tvb(base + pos, size)".to_owned());
    lines.push(format!("    at[{name}], len[{name}] = pos, size"));
    lines.extend(value_code(field));
    lines.extend(bits_values(field));
    lines.push("    if tree then".to_owned());
    lines.extend(add_code(profile, field));
    lines.push("    end".to_owned());
    if field.length == Some(Covers::Rest) {
        lines.extend(rest_code(field));
    }
    lines.push("    pos = pos + size".to_owned());
    lines.push("  end".to_owned());
    lines.join("\n") + "\n"
}

/// How many bytes a field takes, into `size`, as `walk.rs` works it out.
fn size_code(profile: &Profile, index: usize, sets: &[Vec<u64>]) -> Vec<String> {
    let field = &profile.fields[index];
    let name = lua_string(&field.name);
    match field.size {
        Size::Fixed(size) => vec![format!("    size = {size}")],
        Size::Varint => {
            let max_bytes = match field.kind {
                Kind::Varint(max_bytes) => max_bytes,
                _ => 10,
            };
            vec![
                format!(
                    "    local value, count = read_varint(tvb, base + pos, base + avail, {max_bytes})"
                ),
                format!(
                    "    if value == nil then return stop(tree, {name}, pos, count + 1, avail) end"
                ),
                format!(
                    "    if value == false then return broken(tree, {name}, pos, \"varint longer than {max_bytes} bytes\") end"
                ),
                "    size = count".to_owned(),
            ]
        }
        Size::FromLength(length) => {
            let length_name = lua_string(&profile.fields[length].name);
            vec![
                format!(
                    "    local claimed, others = v[{length_name}] or 0, {}",
                    others_expression(profile, length, index, sets)
                ),
                "    if claimed < others then".to_owned(),
                format!(
                    "      return broken(tree, {length_name}, at[{length_name}] or 0, string.format("
                ),
                "        \"length %d is less than the %d bytes of fixed fields it covers\", claimed, others))"
                    .to_owned(),
                "    end".to_owned(),
                "    size = claimed - others".to_owned(),
            ]
        }
        Size::Remainder => {
            let trailer = trailer_after(profile, index);
            vec![
                format!("    size = avail - pos - {trailer}"),
                format!(
                    "    if size < 0 then return stop(tree, {name}, pos, {trailer}, avail) end"
                ),
            ]
        }
    }
}

/// The bytes that the other fields a length covers take, seen from the
/// field at `index` that it sizes: those read before it, and the fixed
/// ones after it whose condition holds so far (`covered_others`).
fn others_expression(profile: &Profile, length: usize, index: usize, sets: &[Vec<u64>]) -> String {
    let Some(Covers::Fields(covered)) = &profile.fields[length].length else {
        return "0".to_owned();
    };
    let terms: Vec<String> = covered
        .iter()
        .filter(|&&other| other != index)
        .filter_map(|&other| {
            let field = &profile.fields[other];
            if other < index {
                return Some(format!("(len[{}] or 0)", lua_string(&field.name)));
            }
            let Size::Fixed(size) = field.size else {
                return None;
            };
            Some(match &field.when {
                Some(when) => format!("(({}) and {size} or 0)", condition(profile, when, sets)),
                None => size.to_string(),
            })
        })
        .collect();
    if terms.is_empty() {
        "0".to_owned()
    } else {
        terms.join(" + ")
    }
}

/// The fixed bytes after the field at `index` (which takes the rest).
fn trailer_after(profile: &Profile, index: usize) -> usize {
    profile.fields[index + 1..]
        .iter()
        .map(|field| match field.size {
            Size::Fixed(size) => size,
            _ => 0,
        })
        .sum()
}

/// An integer field's value, into `v`, for lengths, conditions and the
/// summary (a 64-bit one as a double: exact to 2^53).
fn value_code(field: &Field) -> Vec<String> {
    let name = lua_string(&field.name);
    let little = field.endian == Endian::Little;
    match field.kind {
        Kind::Varint(_) => vec![format!("    v[{name}] = value")],
        Kind::Uint(8) if !field.bits.is_empty() => vec![
            format!(
                "    local raw = range:{}()",
                pick(little, "uint64", "le_uint64")
            ),
            format!("    v[{name}] = raw:tonumber()"),
        ],
        Kind::Uint(8) => vec![format!(
            "    v[{name}] = range:{}():tonumber()",
            pick(little, "uint64", "le_uint64")
        )],
        Kind::Uint(_) => vec![format!(
            "    v[{name}] = range:{}()",
            pick(little, "uint", "le_uint")
        )],
        Kind::Int(8) => vec![format!(
            "    v[{name}] = range:{}():tonumber()",
            pick(little, "int64", "le_int64")
        )],
        Kind::Int(_) => vec![format!(
            "    v[{name}] = range:{}()",
            pick(little, "int", "le_int")
        )],
        Kind::F32 | Kind::F64 | Kind::Bytes | Kind::Str | Kind::Json => Vec::new(),
    }
}

/// The big-endian or the little-endian name of a `TvbRange` method.
fn pick(little: bool, big: &'static str, le: &'static str) -> &'static str {
    if little { le } else { big }
}

/// Each bits sub-field's value, into `v`, taken from its container's.
fn bits_values(field: &Field) -> Vec<String> {
    let container = lua_string(&field.name);
    field
        .bits
        .iter()
        .map(|bits| {
            let name = lua_string(&bits.name);
            if wide_container(field) {
                format!("    v[{name}] = {}:tonumber()", wide_bits(bits))
            } else if bits.shift == 0 {
                format!("    v[{name}] = v[{container}] % {}", 1u64 << bits.width)
            } else {
                format!(
                    "    v[{name}] = math.floor(v[{container}] / {}) % {}",
                    1u64 << bits.shift,
                    1u64 << bits.width
                )
            }
        })
        .collect()
}

/// A sub-field of a 64-bit container, as a `UInt64` expression over `raw`.
fn wide_bits(bits: &BitsField) -> String {
    let mask = mask(bits.width);
    format!(
        "raw:rshift({}):band(UInt64({}, {}))",
        bits.shift,
        mask & 0xFFFF_FFFF,
        mask >> 32
    )
}

/// Whether a field's value follows from others, or only holds bits: what
/// framescope's one-line summary leaves out.
fn is_derived(field: &Field) -> bool {
    field.constant.is_some()
        || field.length.is_some()
        || field.checksum.is_some()
        || !field.bits.is_empty()
}

/// A field's items in the tree (its bits sub-fields under it), its part of
/// the summary, and the check of its constant.
fn add_code(profile: &Profile, field: &Field) -> Vec<String> {
    let name = lua_string(&field.name);
    let add = pick(field.endian == Endian::Little, "add", "add_le");
    let mut lines = vec![match field.kind {
        Kind::Varint(max_bytes) if max_bytes <= 4 => {
            format!("      items[{name}] = tree:add(f[{name}], range, value)")
        }
        Kind::Varint(_) => {
            format!("      items[{name}] = tree:add(f[{name}], range, varint64(range))")
        }
        Kind::Uint(_) | Kind::Int(_) | Kind::F32 | Kind::F64 => {
            format!("      items[{name}] = tree:{add}(f[{name}], range)")
        }
        Kind::Bytes => format!("      items[{name}] = add_bytes(tree, f[{name}], {name}, range)"),
        Kind::Str | Kind::Json => {
            format!("      items[{name}] = tree:add(f[{name}], range, range:string(ENC_UTF_8))")
        }
    }];
    for bits in &field.bits {
        let bits_name = lua_string(&bits.name);
        lines.push(if wide_container(field) {
            format!(
                "      items[{name}]:add(f[{bits_name}], range, {})",
                wide_bits(bits)
            )
        } else {
            format!("      items[{name}]:{add}(f[{bits_name}], range)")
        });
    }
    lines.extend(summary_code(profile, field));
    lines.extend(constant_code(field));
    lines
}

/// `name=value` for the Info column, as framescope's summary line has it.
fn summary_code(profile: &Profile, field: &Field) -> Vec<String> {
    let name = lua_string(&field.name);
    let mut lines = Vec::new();
    if !is_derived(field) {
        lines.push(match field.kind {
            Kind::Uint(_) | Kind::Int(_) | Kind::Varint(_) => format!(
                "      say(summary, {name}, v[{name}]{})",
                labels(profile, field.enum_table)
            ),
            Kind::F32 | Kind::F64 => format!(
                "      say(summary, {name}, range:{}())",
                pick(field.endian == Endian::Little, "float", "le_float")
            ),
            Kind::Bytes => format!("      say(summary, {name}, hex(range))"),
            Kind::Str | Kind::Json => {
                format!("      say(summary, {name}, '\"' .. range:string(ENC_UTF_8) .. '\"')")
            }
        });
    }
    for bits in &field.bits {
        let bits_name = lua_string(&bits.name);
        lines.push(format!(
            "      say(summary, {bits_name}, v[{bits_name}]{})",
            labels(profile, bits.enum_table)
        ));
    }
    lines
}

/// A constant's check: a fault, worded as framescope's, when the field
/// holds another value.
fn constant_code(field: &Field) -> Vec<String> {
    let Some(constant) = &field.constant else {
        return Vec::new();
    };
    let name = lua_string(&field.name);
    let expected = show_constant(constant);
    let (test, why) = match constant {
        Value::Uint(value) => (
            format!("v[{name}] ~= {value}"),
            format!("string.format(\"const: expected {expected}, got 0x%02X\", v[{name}])"),
        ),
        Value::Int(value) => (
            format!("v[{name}] ~= {value}"),
            format!("string.format(\"const: expected {expected}, got %d\", v[{name}])"),
        ),
        Value::Bytes(bytes) => (
            format!("range:raw() ~= {}", lua_bytes(bytes)),
            format!(
                "{} .. hex(range)",
                lua_string(&format!("const: expected {expected}, got "))
            ),
        ),
        Value::Text(text) => (
            format!("range:raw() ~= {}", lua_string(text)),
            format!(
                "{} .. range:string(ENC_UTF_8)",
                lua_string(&format!("const: expected {expected}, got "))
            ),
        ),
        Value::Float(_) | Value::Json(_) => return Vec::new(),
    };
    vec![
        format!("      if {test} then"),
        format!("        fault(items[{name}], {name}, pos, {why})"),
        "      end".to_owned(),
    ]
}

/// After a length of the rest: the frame's length, which is all framing
/// needs; in a frame, a fault when it is not the frame's.
fn rest_code(field: &Field) -> Vec<String> {
    let name = lua_string(&field.name);
    vec![
        format!("    local total = pos + size + v[{name}]"),
        "    if total > MAX_FRAME then".to_owned(),
        format!("      return broken(tree, {name}, pos, string.format("),
        "        \"length makes a frame of %d bytes, over the limit of %d\", total, MAX_FRAME))"
            .to_owned(),
        "    end".to_owned(),
        "    if not tree then return total end".to_owned(),
        "    if total ~= avail then".to_owned(),
        format!("      fault(items[{name}], {name}, pos, string.format("),
        format!(
            "        \"needs %d bytes, but the frame has %d left\", v[{name}], avail - pos - size))"
        ),
        "    end".to_owned(),
    ]
}

/// A checksum's check over the fields it covers that the frame has, in
/// frame order; one wider than 32 bits is shown, not checked.
fn checksum_code(profile: &Profile, field: &Field) -> String {
    let Some(job) = &field.checksum else {
        return String::new();
    };
    let recipe = job.algorithm.recipe();
    if let ChecksumRecipe::Crc { width, .. } = recipe
        && width > 32
    {
        return format!(
            "  -- {}: {} is {width} bits wide: shown, not checked\n",
            one_line(&field.name),
            job.name
        );
    }
    let name = lua_string(&field.name);
    let covered: Vec<&str> = job
        .over
        .iter()
        .map(|&index| profile.fields[index].name.as_str())
        .collect();
    let mut lines = vec![
        format!(
            "  -- {}: {} of {}",
            one_line(&field.name),
            job.name,
            covered.join(", ")
        ),
        format!("  if at[{name}] then"),
        "    local pieces = {}".to_owned(),
    ];
    for piece in &covered {
        let piece = lua_string(piece);
        lines.push(format!(
            "    if at[{piece}] then pieces[#pieces + 1] = {{ base + at[{piece}], len[{piece}] }} end"
        ));
    }
    let (call, width) = match recipe {
        ChecksumRecipe::Crc {
            width,
            poly,
            init,
            refin,
            refout,
            xorout,
        } => (
            format!(
                "crc(gather(tvb, pieces), {width}, 0x{poly:X}, 0x{init:X}, {refin}, {refout}, 0x{xorout:X})"
            ),
            width,
        ),
        ChecksumRecipe::Sum8 => ("sum8(gather(tvb, pieces))".to_owned(), 8),
        ChecksumRecipe::Xor8 => ("xor8(gather(tvb, pieces))".to_owned(), 8),
        ChecksumRecipe::Lrc8 => ("lrc8(gather(tvb, pieces))".to_owned(), 8),
    };
    let digits = usize::from(width.div_ceil(4)).max(2);
    lines.push(format!(
        "    check(items[{name}], {name}, at[{name}], v[{name}], {call}, {digits})"
    ));
    lines.push("  end".to_owned());
    lines.join("\n") + "\n"
}

/// The helper functions the walk calls: always the faults, the summary and
/// bytes; the varint readers, checksums and bit operations only where the
/// profile has them.
fn helpers(profile: &Profile) -> String {
    let mut lua = String::from(FAULT_HELPERS);
    let varints: Vec<u8> = profile
        .fields
        .iter()
        .filter_map(|field| match field.kind {
            Kind::Varint(max_bytes) => Some(max_bytes),
            _ => None,
        })
        .collect();
    let recipes: Vec<ChecksumRecipe> = profile
        .fields
        .iter()
        .filter_map(|field| field.checksum.as_ref())
        .map(|job| job.algorithm.recipe())
        .filter(|recipe| !matches!(recipe, ChecksumRecipe::Crc { width, .. } if *width > 32))
        .collect();
    let uses = |wanted: fn(&ChecksumRecipe) -> bool| recipes.iter().any(wanted);
    let crc = uses(|r| matches!(r, ChecksumRecipe::Crc { .. }));
    let xor8 = uses(|r| matches!(r, ChecksumRecipe::Xor8));
    if !varints.is_empty() {
        lua.push_str(READ_VARINT);
    }
    if varints.iter().any(|&max_bytes| max_bytes > 4) {
        lua.push_str(VARINT64);
    }
    if !recipes.is_empty() {
        lua.push_str(CHECK);
    }
    if uses(|r| matches!(r, ChecksumRecipe::Sum8 | ChecksumRecipe::Lrc8)) {
        lua.push_str(SUM8_LRC8);
    }
    if crc || xor8 {
        lua.push_str(BXOR);
    }
    if xor8 {
        lua.push_str(XOR8);
    }
    if crc {
        lua.push_str(CRC);
    }
    lua
}

/// `frame_length`: how long the frame at an offset is, by the fields, a
/// fixed size or a delimiter.
fn framing(profile: &Profile) -> String {
    match profile.framing() {
        Framing::Fixed(size) => FIXED_FRAMING.replace("@SIZE@", &size.to_string()),
        Framing::Datagram => DATAGRAM_FRAMING.to_owned(),
        Framing::Delimiter(delimiters) => {
            let listed: Vec<String> = delimiters.iter().map(|d| lua_bytes(d.as_slice())).collect();
            let longest = delimiters.iter().map(Vec::len).max().unwrap_or(1);
            DELIMITER_FRAMING
                .replace("@DELIMITERS@", &listed.join(", "))
                .replace("@LONGEST@", &longest.to_string())
        }
        Framing::Fields | Framing::Raw | Framing::JsonHeader | Framing::Resp => {
            FIELDS_FRAMING.to_owned()
        }
    }
}

/// Text as a Lua string literal: quotes and backslashes escaped, control
/// characters as decimal escapes, the rest as it is (UTF-8).
fn lua_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            c if c.is_ascii_control() => out.push_str(&format!("\\{:03}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Bytes as a Lua string literal: printable ASCII as it is, the rest as
/// decimal escapes.
fn lua_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('"');
    for &byte in bytes {
        match byte {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            0x20..=0x7e => out.push(char::from(byte)),
            _ => out.push_str(&format!("\\{byte:03}")),
        }
    }
    out.push('"');
    out
}

/// Text for a one-line comment: control characters (line breaks) as spaces.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_ascii_control() { ' ' } else { c })
        .collect()
}

/// The walk's signature and its state.
const WALK_OPENING: &str = r##"-- Walks the fields of the frame that starts at `base` in `tvb`, over
-- `avail` bytes; `request`: whether it goes to the protocol's port.
-- Framing (no `tree`): the frame's length (perhaps more than `avail`);
-- nil and the bytes needed when `avail` is too few to tell; false and why
-- when the bytes cannot be a frame. In a frame (`avail` its length), each
-- field is added to `tree` and named in `summary`.
local function walk(tvb, base, avail, request, tree, summary)
  local v, at, len, items = {}, {}, {}, {}
  local pos, size, range = 0, 0, nil
"##;

/// After the last field: framing is done; in a frame, bytes left over.
const WALK_CLOSING: &str = r##"
  if not tree then return pos end
  if pos < avail then
    fault(tree, "frame", pos, string.format("%d bytes after the last field", avail - pos))
  end
"##;

/// Faults, the summary, and bytes shown as framescope shows them.
const FAULT_HELPERS: &str = r##"-- Shows a way the frame breaks the profile, as framescope words it.
local function fault(tree, name, pos, why)
  tree:add_proto_expert_info(e_fault, string.format("%s (frame offset %d): %s", name, pos, why))
end

-- Bytes that cannot be a frame: framing, the stream has lost its place
-- (false, and why); in a frame, the fault is shown and the walk ends.
local function broken(tree, name, pos, why)
  if tree then fault(tree, name, pos, why) end
  return false, string.format("%s (frame offset %d): %s", name, pos, why)
end

-- A field of `size` bytes at `pos` that does not fit: past the longest
-- frame, the bytes cannot be a frame; past the bytes there are, framing
-- needs more of them (nil, and how many in all), and in a frame the field
-- overruns it (shown; the walk ends).
local function stop(tree, name, pos, size, avail)
  if pos + size > MAX_FRAME then
    return broken(tree, name, pos, string.format(
      "length makes a frame of %d bytes, over the limit of %d", pos + size, MAX_FRAME))
  end
  if not tree then return nil, pos + size end
  fault(tree, name, pos, string.format("needs %d bytes, but the frame has %d left", size, avail - pos))
  return false
end

-- Adds `name=value` to a frame's summary: the enum's name for the value
-- where there is one, whole numbers in full.
local function say(summary, name, value, labels)
  local shown = labels and labels[value]
  if shown == nil and type(value) == "number" and value == math.floor(value) and math.abs(value) < 2 ^ 63 then
    shown = string.format("%d", value)
  end
  summary[#summary + 1] = name .. "=" .. tostring(shown or value)
end

-- Bytes as framescope prints them: hex, "(empty)" for none.
local function hex(range)
  if range:len() == 0 then return "(empty)" end
  if range:len() > 16 then return range:range(0, 16):bytes():tohex(true, " ") .. " ..." end
  return range:bytes():tohex(true, " ")
end

-- Adds a bytes field to the tree; an empty one reads "(empty)".
local function add_bytes(tree, field, name, range)
  local item = tree:add(field, range)
  if range:len() == 0 then item:set_text(name .. ": (empty)") end
  return item
end
"##;

/// LEB128, as `walk.rs` reads it.
const READ_VARINT: &str = r##"
-- An LEB128 varint at `from` (of at most `max` bytes, before `to`): its
-- value and length; nil and the bytes read when they end first; false
-- when it runs past `max` bytes.
local function read_varint(tvb, from, to, max)
  local value, scale = 0, 1
  for i = 0, max - 1 do
    if from + i >= to then return nil, i end
    local byte = tvb(from + i, 1):uint()
    value = value + (byte % 128) * scale
    if byte < 128 then return value, i + 1 end
    scale = scale * 128
  end
  return false
end
"##;

/// A varint of more than 4 bytes, exact as a `UInt64`.
const VARINT64: &str = r##"
-- The value of a varint's bytes as a UInt64, exact past 2^53.
local function varint64(range)
  local value = UInt64(0)
  for i = range:len() - 1, 0, -1 do
    value = value:lshift(7) + UInt64(range(i, 1):uint() % 128)
  end
  return value
end
"##;

/// The bytes a checksum covers, and its check.
const CHECK: &str = r##"
-- The bytes of `tvb` in `pieces` ({offset, length} each), one after
-- another, as a Lua string.
local function gather(tvb, pieces)
  local parts = {}
  for _, piece in ipairs(pieces) do
    if piece[2] > 0 then parts[#parts + 1] = tvb:raw(piece[1], piece[2]) end
  end
  return table.concat(parts)
end

-- Shows whether a checksum field holds the checksum of what it covers.
local function check(item, name, pos, found, expected, digits)
  if found == expected then
    item:append_text(" [correct]")
    return
  end
  local form = "%s (frame offset %d): checksum: expected 0x%0" .. digits .. "X, got 0x%0" .. digits .. "X"
  item:add_proto_expert_info(e_checksum, string.format(form, name, pos, expected, found))
  item:append_text(" [incorrect]")
end
"##;

/// The byte sums.
const SUM8_LRC8: &str = r##"
-- The bytes added, modulo 256.
local function sum8(bytes)
  local sum = 0
  for i = 1, #bytes do sum = (sum + bytes:byte(i)) % 256 end
  return sum
end

-- The two's complement of sum8 (Modbus ASCII's LRC).
local function lrc8(bytes)
  return (256 - sum8(bytes)) % 256
end
"##;

/// XOR without a bit library, where there is none.
const BXOR: &str = r##"
-- XOR of two whole numbers below 2^32 (bit32's, where there is one).
local bxor = bit32 and bit32.bxor or function(a, b)
  local result, place = 0, 1
  while a > 0 or b > 0 do
    local x, y = a % 2, b % 2
    if x ~= y then result = result + place end
    a, b, place = (a - x) / 2, (b - y) / 2, place * 2
  end
  return result
end
"##;

/// The bytes XOR-ed together.
const XOR8: &str = r##"
-- The bytes XOR-ed together.
local function xor8(bytes)
  local x = 0
  for i = 1, #bytes do x = bxor(x, bytes:byte(i)) end
  return x
end
"##;

/// A generic bitwise CRC of up to 32 bits.
const CRC: &str = r##"
-- The low `width` bits of `value`, in reverse order.
local function reflect(value, width)
  local result = 0
  for _ = 1, width do
    local bit = value % 2
    result = result * 2 + bit
    value = (value - bit) / 2
  end
  return result
end

-- A CRC of `bytes` (a Lua string), bit by bit, as the CRC catalogue
-- describes it: width, poly, init, refin, refout, xorout.
local function crc(bytes, width, poly, init, refin, refout, xorout)
  local top = 2 ^ (width - 1)
  local register
  if refin then
    local reflected = reflect(poly, width)
    register = reflect(init, width)
    for i = 1, #bytes do
      register = bxor(register, bytes:byte(i))
      for _ = 1, 8 do
        if register % 2 == 1 then
          register = bxor((register - 1) / 2, reflected)
        else
          register = register / 2
        end
      end
    end
  else
    register = init
    for i = 1, #bytes do
      local byte = bytes:byte(i)
      for bit = 7, 0, -1 do
        local input = math.floor(byte / 2 ^ bit) % 2
        local out = register >= top and 1 or 0
        register = (register % top) * 2
        if out ~= input then register = bxor(register, poly) end
      end
    end
  end
  if refin ~= refout then register = reflect(register, width) end
  return bxor(register, xorout)
end
"##;

/// Frames cut by their fields.
const FIELDS_FRAMING: &str = r##"
-- How long the frame that starts at `offset` is: a length (perhaps past
-- the bytes there are); nil and the bytes needed in all (or nil alone)
-- while too few bytes have come to tell; false and why when the bytes
-- cannot be a frame.
local function frame_length(tvb, offset, request)
  return walk(tvb, offset, tvb:len() - offset, request, nil, nil)
end
"##;

/// Frames of one size (`@SIZE@`).
const FIXED_FRAMING: &str = r##"
-- Every frame has @SIZE@ bytes, all of them fields.
local function frame_length(tvb, offset, request)
  return @SIZE@, @SIZE@
end
"##;

/// Each datagram one frame: its fields run to the packet's end.
const DATAGRAM_FRAMING: &str = r##"
-- A datagram is one frame: its fields run to the packet's end.
local function frame_length(tvb, offset, request)
  local len = tvb:len() - offset
  return len, len
end
"##;

/// Frames ended by a delimiter (`@DELIMITERS@`, the longest `@LONGEST@`
/// bytes).
const DELIMITER_FRAMING: &str = r##"
-- The delimiters that end a frame (each belongs to the frame it ends).
local DELIMITERS = { @DELIMITERS@ }

-- How long the frame that starts at `offset` is, with the delimiter that
-- ends it, and where its fields end: the earliest delimiter to end, the
-- longest of those ending there; nil while none has come; false and why
-- when none comes within the longest frame.
local function frame_length(tvb, offset, request)
  local bytes = tvb:raw(offset, math.min(tvb:len() - offset, MAX_FRAME + @LONGEST@))
  local best, best_len = nil, 0
  for _, delimiter in ipairs(DELIMITERS) do
    local from = bytes:find(delimiter, 1, true)
    if from then
      local to = from + #delimiter - 1
      if best == nil or to < best or (to == best and #delimiter > best_len) then
        best, best_len = to, #delimiter
      end
    end
  end
  if best == nil then
    if #bytes >= MAX_FRAME then
      return false, string.format("frame (frame offset 0): no delimiter within %d bytes", MAX_FRAME)
    end
    return nil
  end
  return best, best - best_len
end
"##;

/// Each frame added to the tree, the reassembly loop, and the port
/// (`@COLUMN@`: the protocol column's text).
const DISSECTOR: &str = r##"
-- Adds one whole frame, `tvb`, to the tree: its fields end at `region`
-- (before a delimiter), else with the frame. Its summary, for the Info column.
local function dissect_frame(tvb, tree, request, region)
  local item = tree:add(proto, tvb())
  local summary = {}
  region = region or tvb:len()
  walk(tvb, 0, region, request, item, summary)
  if region < tvb:len() then
    item:add(tvb(region), "delimiter: " .. hex(tvb(region)))
  end
  local line = table.concat(summary, " ")
  if #line > 200 then line = line:sub(1, 200) .. " ..." end
  return line
end

function proto.dissector(tvb, pinfo, tree)
  local offset, total = 0, tvb:len()
  local request = pinfo.dst_port == proto.prefs.port
  local lines = {}
  while offset < total do
    local length, extra = frame_length(tvb, offset, request)
    if length == false then
      -- Not a frame of the profile, and nothing says where the next starts.
      local item = tree:add(proto, tvb(offset))
      item:add_proto_expert_info(e_fault, extra)
      lines[#lines + 1] = extra
      break
    end
    if (length == nil or offset + length > total) and pinfo.can_desegment == 0 then
      -- A datagram (UDP) that ends inside its frame: nothing more comes.
      local item = tree:add(proto, tvb(offset))
      local why = "the datagram ends inside a frame"
      item:add_proto_expert_info(e_fault, why)
      lines[#lines + 1] = why
      break
    end
    if length == nil or offset + length > total then
      -- The rest of this frame is in later segments: ask TCP for them.
      pinfo.desegment_offset = offset
      if length then
        pinfo.desegment_len = offset + length - total
      elseif extra and offset + extra > total then
        pinfo.desegment_len = offset + extra - total
      else
        pinfo.desegment_len = DESEGMENT_ONE_MORE_SEGMENT
      end
      break
    end
    if length == 0 then break end
    lines[#lines + 1] = dissect_frame(tvb(offset, length):tvb(), tree, request, extra)
    offset = offset + length
  end
  -- The Info column is ours once a whole frame is here; a segment that
  -- only starts one keeps TCP's.
  if #lines > 0 then
    pinfo.cols.protocol = @COLUMN@
    pinfo.cols.info:set(table.concat(lines, " | "))
  end
  return total
end

-- The port is registered for TCP and for UDP alike: over UDP each
-- datagram holds its frames whole.
local PORT_TABLES = { "tcp.port", "udp.port" }
local registered_port = nil
function proto.prefs_changed()
  for _, name in ipairs(PORT_TABLES) do
    local ports = DissectorTable.get(name)
    if registered_port and registered_port ~= 0 then ports:remove(registered_port, proto) end
    if proto.prefs.port ~= 0 then ports:add(proto.prefs.port, proto) end
  end
  registered_port = proto.prefs.port
end

registered_port = proto.prefs.port
for _, name in ipairs(PORT_TABLES) do
  DissectorTable.get(name):add_for_decode_as(proto)
  if registered_port ~= 0 then DissectorTable.get(name):add(registered_port, proto) end
end
"##;

#[cfg(test)]
mod tests {
    use super::*;

    fn builtin(name: &str) -> std::sync::Arc<Profile> {
        Profile::builtin(name).expect("a built-in")
    }

    fn compiled(text: &str) -> Profile {
        Profile::compile(text, "test.toml").expect("the profile compiles")
    }

    /// A profile with a trailing CRC, little-endian, a byte sum and a
    /// 64-bit field of bits.
    const STX_CRC: &str = r#"
[profile]
name = "stx-crc"
endian = "le"

[enums.kind]
"1" = "ping"
"2" = "pong"

[[field]]
name = "stx"
type = "u8"
const = 0x02

[[field]]
name = "len"
type = "u16"
length_of = ["kind", "payload"]

[[field]]
name = "kind"
type = "u8"
enum = "kind"

[[field]]
name = "payload"
type = "bytes"

[[field]]
name = "wide"
type = "u64"
bits = [{ name = "high", width = 8 }, { name = "low", width = 56 }]

[[field]]
name = "sum"
type = "u8"
checksum = { algorithm = "sum8", over = ["payload"] }

[[field]]
name = "crc"
type = "u16"
checksum = { algorithm = "CRC-16/MODBUS", over = ["len", "kind", "payload"] }
"#;

    #[test]
    fn every_field_and_bits_sub_field_has_a_proto_field() {
        for name in ["modbus-tcp", "mqtt", "dns-tcp", "lines"] {
            let profile = builtin(name);
            let lua = lua_dissector(&profile, None).unwrap();
            let proto = proto_name(name);
            for field in profile.field_names() {
                assert!(
                    lua.contains(&format!("f[\"{field}\"] = ProtoField.")),
                    "{name}: no ProtoField for {field}"
                );
                assert!(
                    lua.contains(&format!("(\"{proto}.{field}\", \"{field}\"")),
                    "{name}: {field} is not filtered as {proto}.{field}"
                );
                assert!(
                    lua.contains(&format!("  f[\"{field}\"],\n")),
                    "{name}: {field} registered"
                );
            }
            assert!(lua.contains(&format!("local proto = Proto(\"{proto}\", ")));
            assert!(lua.contains("Generated by framescope"));
            assert!(lua.contains("do not edit"));
        }
    }

    #[test]
    fn an_enum_is_a_value_string() {
        let lua = lua_dissector(&builtin("modbus-tcp"), None).unwrap();
        assert!(
            lua.contains("names[\"function\"] = {\n  [1] = \"read-coils\",\n"),
            "{lua}"
        );
        assert!(lua.contains("  [3] = \"read-holding-registers\",\n"));
        assert!(lua.contains("  [131] = \"read-holding-registers-exception\",\n"));
        assert!(lua.contains(
            "f[\"function\"] = ProtoField.uint8(\"fs_modbus_tcp.function\", \"function\", base.DEC, names[\"function\"])"
        ));
        assert!(lua.contains(
            "f[\"exception_code\"] = ProtoField.uint8(\"fs_modbus_tcp.exception_code\", \"exception_code\", base.DEC, names[\"exception\"])"
        ));
    }

    #[test]
    fn a_bits_sub_field_is_its_containers_type_with_a_mask() {
        let lua = lua_dissector(&builtin("mqtt"), None).unwrap();
        assert!(lua.contains(
            "f[\"type\"] = ProtoField.uint8(\"fs_mqtt.type\", \"type\", base.DEC, names[\"packet\"], 0xF0)"
        ), "{lua}");
        assert!(lua.contains(
            "f[\"flags\"] = ProtoField.uint8(\"fs_mqtt.flags\", \"flags\", base.DEC, nil, 0xF)"
        ));
        assert!(lua.contains(
            "f[\"will_qos\"] = ProtoField.uint8(\"fs_mqtt.will_qos\", \"will_qos\", base.DEC, nil, 0x18)"
        ));
        // Its value, for `when` conditions, without bit operations.
        assert!(lua.contains("v[\"type\"] = math.floor(v[\"header\"] / 16) % 16"));
        assert!(lua.contains("  if v[\"type\"] == 1 then\n"));
        let dns = lua_dissector(&builtin("dns-tcp"), None).unwrap();
        assert!(dns.contains(
            "f[\"rcode\"] = ProtoField.uint16(\"fs_dns_tcp.rcode\", \"rcode\", base.DEC, names[\"rcode\"], 0xF)"
        ));
        assert!(dns.contains(
            "f[\"opcode\"] = ProtoField.uint16(\"fs_dns_tcp.opcode\", \"opcode\", base.DEC, names[\"opcode\"], 0x7800)"
        ));
    }

    #[test]
    fn a_varint_is_read_and_added_with_its_value() {
        let lua = lua_dissector(&builtin("mqtt"), None).unwrap();
        assert!(lua.contains("local function read_varint("));
        assert!(lua.contains("local value, count = read_varint(tvb, base + pos, base + avail, 4)"));
        assert!(lua.contains(
            "items[\"remaining_length\"] = tree:add(f[\"remaining_length\"], range, value)"
        ));
        // The length of the rest is all framing needs.
        assert!(lua.contains("local total = pos + size + v[\"remaining_length\"]"));
        // Four bytes need no UInt64.
        assert!(!lua.contains("local function varint64("));
    }

    #[test]
    fn conditions_use_the_role_the_port_gives() {
        let lua = lua_dissector(&builtin("modbus-tcp"), None).unwrap();
        assert!(lua.contains("local request = pinfo.dst_port == proto.prefs.port"));
        assert!(lua.contains(
            "sets[1] = { [1] = true, [2] = true, [3] = true, [4] = true, [5] = true, [6] = true, [15] = true, [16] = true }"
        ), "{lua}");
        assert!(lua.contains("  if request and sets[1][v[\"function\"]] then\n"));
        assert!(lua.contains("  if not request and sets[2][v[\"function\"]] then\n"));
        // byte_count sizes registers.
        assert!(lua.contains("local claimed, others = v[\"byte_count\"] or 0, 0"));
        // data takes the rest of the frame.
        assert!(lua.contains("size = avail - pos - 0"));
    }

    #[test]
    fn the_port_is_the_one_given_else_the_profiles_else_none() {
        let modbus = builtin("modbus-tcp");
        let lua = lua_dissector(&modbus, None).unwrap();
        assert!(lua.contains("Pref.uint(\"Port\", 502, "));
        assert!(lua.contains("It decodes TCP and UDP port 502"));
        let lua = lua_dissector(&modbus, Some(1502)).unwrap();
        assert!(lua.contains("Pref.uint(\"Port\", 1502, "));
        let lua = lua_dissector(&builtin("lines"), None).unwrap();
        assert!(lua.contains("Pref.uint(\"Port\", 0, "));
        assert!(lua.contains("It decodes no port until one is chosen"));
        assert!(lua.contains("local PORT_TABLES = { \"tcp.port\", \"udp.port\" }"));
        assert!(lua.contains("DissectorTable.get(name):add_for_decode_as(proto)"));
        assert!(lua.contains("function proto.prefs_changed()"));
    }

    #[test]
    fn raw_resp_and_json_header_are_refused_naming_their_framing() {
        for (name, framing) in [
            ("raw", "raw"),
            ("resp", "resp"),
            ("json-header", "json-header"),
        ] {
            let error = lua_dissector(&builtin(name), None).unwrap_err();
            assert!(
                matches!(&error, DissectorError::Framing { framing: f, .. } if *f == framing),
                "{error:?}"
            );
            assert!(
                error
                    .to_string()
                    .contains(&format!("\"{framing}\" framing")),
                "{error}"
            );
        }
        let error = lua_dissector(&builtin("json-header"), None).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("assets/wireshark/framescope.lua"),
            "{error}"
        );
        assert!(error.to_string().contains("framescope export"), "{error}");
    }

    #[test]
    fn checksums_are_checked_with_the_catalogues_parameters() {
        let lua = lua_dissector(&compiled(STX_CRC), None).unwrap();
        assert!(
            lua.contains("local function crc(bytes, width, poly, init, refin, refout, xorout)")
        );
        assert!(lua.contains(
            "check(items[\"crc\"], \"crc\", at[\"crc\"], v[\"crc\"], crc(gather(tvb, pieces), 16, 0x8005, 0xFFFF, true, true, 0x0), 4)"
        ), "{lua}");
        assert!(lua.contains("sum8(gather(tvb, pieces)), 2)"));
        assert!(
            lua.contains("f[\"crc\"] = ProtoField.uint16(\"fs_stx_crc.crc\", \"crc\", base.HEX)")
        );
        // Little-endian fields are added as such.
        assert!(lua.contains("items[\"len\"] = tree:add_le(f[\"len\"], range)"));
        assert!(lua.contains("v[\"len\"] = range:le_uint()"));
        // A 64-bit container's sub-fields are given their values.
        assert!(lua.contains("local raw = range:le_uint64()"));
        assert!(lua.contains(
            "f[\"low\"] = ProtoField.uint64(\"fs_stx_crc.low\", \"low\", base.DEC, nil)"
        ));
        assert!(lua.contains(
            "items[\"wide\"]:add(f[\"low\"], range, raw:rshift(0):band(UInt64(4294967295, 16777215)))"
        ));
        // The constant is checked.
        assert!(lua.contains(
            "fault(items[\"stx\"], \"stx\", pos, string.format(\"const: expected 0x02, got 0x%02X\", v[\"stx\"]))"
        ));
        // Only what is used is written.
        assert!(!lua.contains("local function xor8("));
        assert!(!lua.contains("local function read_varint("));
        let modbus = lua_dissector(&builtin("modbus-tcp"), None).unwrap();
        assert!(!modbus.contains("local function crc("));
        assert!(!modbus.contains("local function gather("));
    }

    #[test]
    fn delimiter_and_fixed_framings_are_generated() {
        let lua = lua_dissector(&builtin("lines"), None).unwrap();
        assert!(
            lua.contains("local DELIMITERS = { \"\\013\\010\", \"\\010\" }"),
            "{lua}"
        );
        assert!(lua.contains("MAX_FRAME + 2"));
        let fixed = compiled(
            "[profile]\nname = \"fixed8\"\n[[field]]\nname = \"a\"\ntype = \"u16\"\n\
             [[field]]\nname = \"rest_of_it\"\ntype = \"bytes\"\n[framing]\nsize = 8\n",
        );
        let lua = lua_dissector(&fixed, None).unwrap();
        assert!(
            lua.contains("local function frame_length(tvb, offset, request)\n  return 8, 8\nend"),
            "{lua}"
        );
        assert!(lua.contains("size = avail - pos - 0"));
    }

    #[test]
    fn expert_names_keep_clear_of_fields_and_odd_names_are_refused() {
        let profile = compiled(
            "[profile]\nname = \"My.Proto-1\"\n[[field]]\nname = \"fault\"\ntype = \"u8\"\n",
        );
        let lua = lua_dissector(&profile, None).unwrap();
        assert!(lua.contains("Proto(\"fs_my_proto_1\", \"framescope profile My.Proto-1\")"));
        assert!(
            lua.contains("ProtoExpert.new(\"fs_my_proto_1.fault_\", "),
            "{lua}"
        );
        assert!(lua.contains("ProtoExpert.new(\"fs_my_proto_1.checksum_bad\", "));
        let profile =
            compiled("[profile]\nname = \"odd\"\n[[field]]\nname = \"a..b\"\ntype = \"u8\"\n");
        assert_eq!(
            lua_dissector(&profile, None).unwrap_err(),
            DissectorError::FieldName {
                profile: "odd".into(),
                field: "a..b".into()
            }
        );
    }

    #[test]
    fn text_is_escaped_for_lua() {
        assert_eq!(lua_string("a\"b\\c\nd é"), "\"a\\\"b\\\\c\\010d é\"");
        assert_eq!(lua_bytes(&[0x02, b'A', b'"', 0xff]), "\"\\002A\\\"\\255\"");
        assert_eq!(one_line("two\nlines"), "two lines");
    }

    #[test]
    fn blocks_are_balanced() {
        // Every `do`/`if`/`function` of the walk closes: counted per line,
        // as the generator writes one statement a line.
        for name in ["modbus-tcp", "mqtt", "dns-tcp", "lines"] {
            let lua = lua_dissector(&builtin(name), None).unwrap();
            assert_balanced(&lua, name);
        }
        assert_balanced(&lua_dissector(&compiled(STX_CRC), None).unwrap(), "stx-crc");
    }

    fn assert_balanced(lua: &str, name: &str) {
        let mut depth: i64 = 0;
        for line in lua.lines() {
            let code = code_of(line);
            let words: Vec<&str> = code
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .filter(|w| !w.is_empty())
                .collect();
            let count = |wanted: &[&str]| {
                i64::try_from(words.iter().filter(|w| wanted.contains(*w)).count()).unwrap()
            };
            depth += count(&["function", "do", "then"]) - count(&["elseif", "end"]);
            assert!(depth >= 0, "{name}: an `end` too many at: {line}");
        }
        assert_eq!(depth, 0, "{name}: blocks left open");
    }

    /// A line of Lua without its comment and its quoted text.
    fn code_of(line: &str) -> String {
        let mut code = String::new();
        let mut quote: Option<char> = None;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match quote {
                Some(_) if c == '\\' => {
                    chars.next();
                }
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None if c == '"' || c == '\'' => {
                    quote = Some(c);
                    code.push(' ');
                }
                None if c == '-' && chars.peek() == Some(&'-') => break,
                None => code.push(c),
            }
        }
        code
    }
}
