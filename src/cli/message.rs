//! The message given on the command line: header fields and content.

use std::path::PathBuf;

use bytes::Bytes;
use clap::Args;

use crate::engine::FrameBuilder;
use crate::engine::header_value_from_text;
use crate::engine::hexdump::parse_hex;
use crate::engine::tutorial_app::{CLIENT_BINARY_TYPE, search_request};

use super::CliError;

/// Header fields and content, as options.
#[derive(Debug, Clone, Args)]
pub struct MessageArgs {
    /// A header field, KEY=VALUE (VALUE is JSON if it reads as JSON, else a
    /// string); repeat for more. Overrides the defaults, content-length too.
    #[arg(long = "header", value_name = "KEY=VALUE")]
    pub headers: Vec<String>,
    /// JSON content (content-type text/json).
    #[arg(long, group = "content", value_name = "TEXT")]
    pub json: Option<String>,
    /// Text content (content-type text/plain).
    #[arg(long, group = "content", value_name = "TEXT")]
    pub text: Option<String>,
    /// Binary content as hex, such as "00 1a ff" (content-type binary/custom-client-binary-type).
    #[arg(long, group = "content", value_name = "HEX")]
    pub hex: Option<String>,
    /// Content read from a file (content-type binary/custom-client-binary-type).
    #[arg(long, group = "content", value_name = "PATH")]
    pub file: Option<PathBuf>,
}

impl MessageArgs {
    /// The content alone (what raw mode sends).
    pub fn content(&self) -> Result<Bytes, CliError> {
        Ok(self.builder()?.content_bytes())
    }

    /// The frame the options describe; without content, the tutorial's search for "morpheus".
    pub fn builder(&self) -> Result<FrameBuilder, CliError> {
        let builder = if let Some(json) = &self.json {
            serde_json::from_str::<serde_json::Value>(json)
                .map_err(|e| CliError::Message(format!("--json is not valid JSON: {e}")))?;
            FrameBuilder::new().content(json.clone())
        } else if let Some(text) = &self.text {
            FrameBuilder::new()
                .field("content-type", "text/plain")
                .content(text.clone())
        } else if let Some(hex) = &self.hex {
            let bytes = parse_hex(hex).map_err(|e| CliError::Message(format!("--hex: {e}")))?;
            FrameBuilder::binary(CLIENT_BINARY_TYPE, bytes)
        } else if let Some(path) = &self.file {
            let bytes = std::fs::read(path)
                .map_err(|e| CliError::Message(format!("--file {}: {e}", path.display())))?;
            FrameBuilder::binary(CLIENT_BINARY_TYPE, bytes)
        } else {
            search_request("morpheus")
        };
        // Text content goes in the encoding --header content-encoding names.
        self.with_fields(builder)?
            .in_named_encoding()
            .map_err(|e| CliError::Invalid(e.to_string()))
    }

    /// `builder` with the `--header` fields set on it.
    pub fn with_fields(&self, mut builder: FrameBuilder) -> Result<FrameBuilder, CliError> {
        for field in &self.headers {
            let (key, value) = field.split_once('=').ok_or_else(|| {
                CliError::Message(format!("--header {field}: expected KEY=VALUE"))
            })?;
            builder = builder.field(key, header_value_from_text(value));
        }
        Ok(builder)
    }
}
