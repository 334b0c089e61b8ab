//! Reading a JSON Lines log that `framescope … --log FILE` saved: its
//! records, its frames each way, and a frame's fields by name.

use std::path::Path;

use serde_json::Value;

/// The records of a JSONL log.
pub fn records(log: &Path) -> Vec<Value> {
    std::fs::read_to_string(log)
        .unwrap_or_else(|error| panic!("{}: {error}", log.display()))
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

/// The records of frames read whole from the peer, in order.
pub fn received_frames(log: &Path) -> Vec<Value> {
    records(log)
        .into_iter()
        .filter(|r| r["direction"] == "received" && r["kind"] == "frame")
        .collect()
}

pub fn sent_frames(log: &Path) -> Vec<Value> {
    records(log)
        .into_iter()
        .filter(|r| r["direction"] == "sent" && r["kind"] == "frame")
        .collect()
}

/// The entry of field `name` in a record's fields.
pub fn field<'a>(record: &'a Value, name: &str) -> &'a Value {
    record["fields"]
        .as_array()
        .and_then(|fields| fields.iter().find(|f| f["name"] == name))
        .unwrap_or_else(|| panic!("no field {name} in {record}"))
}

/// A field's value, and its label (Null where no enum names it).
pub fn named(record: &Value, name: &str) -> (Value, Value) {
    let entry = field(record, name);
    (entry["value"].clone(), entry["label"].clone())
}

/// A value with the label an enum gives it, as `named` returns them.
pub fn labelled(value: u64, label: &str) -> (Value, Value) {
    (value.into(), label.into())
}
