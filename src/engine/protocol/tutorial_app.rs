//! The tutorial's request/response application, exactly as PROTOCOL.md says.
//!
//! A `text/json` request `{"action": "search", "value": ...}` is answered
//! from the search table; any other content type gets a binary reply that
//! quotes the request's first ten bytes.

use bytes::{BufMut, Bytes, BytesMut};
use serde_json::{Value, json};

use crate::engine::protocol::frame::{Frame, FrameBuilder};

/// The content type of the tutorial's JSON requests and replies.
pub const TEXT_JSON: &str = "text/json";
/// The content type the tutorial's client uses for binary requests.
pub const CLIENT_BINARY_TYPE: &str = "binary/custom-client-binary-type";
/// The content type of the server's binary replies.
pub const SERVER_BINARY_TYPE: &str = "binary/custom-server-binary-type";
/// What a binary reply's content starts with.
pub const BINARY_REPLY_PREFIX: &[u8] = b"First 10 bytes of request: ";

/// The tutorial's search table.
pub const SEARCH_TABLE: [(&str, &str); 3] = [
    ("morpheus", "Follow the white rabbit. 🐰"),
    ("ring", "In the caves beneath the Misty Mountains. 💍"),
    ("🐶", "🐾 Playing ball! 🏐"),
];

/// The answer the search action gives for `value`.
pub fn search(value: &str) -> String {
    SEARCH_TABLE
        .iter()
        .find(|(key, _)| *key == value)
        .map_or_else(
            || format!("No match for '{value}'."),
            |(_, answer)| (*answer).to_owned(),
        )
}

/// The reply frame the tutorial's server sends for `request`.
pub fn respond(request: &Frame) -> Bytes {
    let builder = if request.content_type().as_deref() == Some(TEXT_JSON) {
        FrameBuilder::json(&json!({ "result": answer_json(&request.content()) }))
    } else {
        let content = request.content();
        let mut reply = BytesMut::with_capacity(BINARY_REPLY_PREFIX.len() + 10);
        reply.put_slice(BINARY_REPLY_PREFIX);
        reply.put_slice(&content[..content.len().min(10)]);
        FrameBuilder::binary(SERVER_BINARY_TYPE, reply.freeze())
    };
    // A reply header is a few dozen bytes: it always fits the proto-header.
    builder.build().unwrap_or_default()
}

/// The `result` text for a JSON request's content.
fn answer_json(content: &[u8]) -> String {
    let request: Value = match serde_json::from_slice(content) {
        Ok(value) => value,
        Err(error) => return format!("Error: content is not valid JSON: {error}."),
    };
    match request.get("action") {
        Some(Value::String(action)) if action == "search" => {
            search(&python_str(request.get("value")))
        }
        action => format!("Error: invalid action '{}'.", python_str(action)),
    }
}

/// A value as Python's `f"{value}"` would show it (strings bare, absent as None).
fn python_str(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => "None".to_owned(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    }
}

/// The tutorial client's search request for `value`.
pub fn search_request(value: &str) -> FrameBuilder {
    FrameBuilder::json(&json!({"action": "search", "value": value}))
}

/// The tutorial client's binary request.
pub fn binary_request(content: impl Into<Bytes>) -> FrameBuilder {
    FrameBuilder::binary(CLIENT_BINARY_TYPE, content)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::protocol::codec::FrameCodec;

    fn decode(bytes: Bytes) -> Frame {
        FrameCodec::new(1 << 20)
            .decode(&mut BytesMut::from(&bytes[..]))
            .unwrap()
            .unwrap()
    }

    fn result_of(request: FrameBuilder) -> String {
        let reply = decode(respond(&decode(request.build().unwrap())));
        let content: Value = serde_json::from_slice(&reply.content()).unwrap();
        content["result"].as_str().unwrap().to_owned()
    }

    #[test]
    fn answers_every_search_case() {
        assert_eq!(
            result_of(search_request("morpheus")),
            "Follow the white rabbit. 🐰"
        );
        assert_eq!(
            result_of(search_request("ring")),
            "In the caves beneath the Misty Mountains. 💍"
        );
        assert_eq!(result_of(search_request("🐶")), "🐾 Playing ball! 🏐");
        assert_eq!(result_of(search_request("neo")), "No match for 'neo'.");
        let bad = FrameBuilder::json(&json!({"action": "find", "value": "x"}));
        assert_eq!(result_of(bad), "Error: invalid action 'find'.");
    }

    #[test]
    fn answers_binary_requests_with_the_first_ten_bytes() {
        let reply = decode(respond(&decode(
            binary_request(&b"0123456789abcdef"[..]).build().unwrap(),
        )));
        assert_eq!(reply.content_type().as_deref(), Some(SERVER_BINARY_TYPE));
        assert_eq!(
            &reply.content()[..],
            b"First 10 bytes of request: 0123456789"
        );
        assert_eq!(reply.header()["content-encoding"], "binary");
    }
}
