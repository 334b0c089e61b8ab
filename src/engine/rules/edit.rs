//! Small edits to a rules file's text, as a window makes them: a simple
//! rule appended, a rule's block cut out. The text stays the truth, so
//! what is saved, loaded and served is the same TOML.

use serde_json::Value;

use super::set::Rule;

/// What a simple rule does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SimpleAction {
    /// Reply with a text frame (payload variables allowed).
    ReplyText(String),
    /// Echo the frame.
    Echo,
    /// Close the connection.
    Close,
}

/// Why a rule cannot be cut out of the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    /// The rule is not a `[[rule]]` block (an inline array, say).
    #[error("the rule at line {0} is not a [[rule]] block: edit the file to remove it")]
    NotABlock(usize),
}

/// `source` with a rule appended: when header `key` equals `value` (no
/// key: any frame), do `action`.
pub fn append_rule(source: &str, header: Option<(&str, &Value)>, action: &SimpleAction) -> String {
    let mut text = source.trim_end().to_owned();
    if !text.is_empty() {
        text.push_str("\n\n");
    }
    text.push_str("[[rule]]\n");
    if let Some((key, value)) = header {
        let value =
            toml::Value::try_from(value).unwrap_or_else(|_| toml::Value::String(value.to_string()));
        text.push_str(&format!("when.header.{} = {value}\n", toml_key(key)));
    }
    match action {
        SimpleAction::ReplyText(reply) => {
            text.push_str(&format!(
                "then.reply.text = {}\n",
                toml::Value::String(reply.clone())
            ));
        }
        SimpleAction::Echo => text.push_str("then.echo = true\n"),
        SimpleAction::Close => text.push_str("then.close = true\n"),
    }
    text
}

/// `source` without `rule`'s block: from its `[[rule]]` line to the next
/// table that is not one of its own (`[rule.…]`, `[[rule.…]]`).
pub fn remove_rule(source: &str, rule: &Rule) -> Result<String, EditError> {
    let line = rule.location.line;
    let starts: Vec<usize> = std::iter::once(0)
        .chain(source.match_indices('\n').map(|(at, _)| at + 1))
        .filter(|at| *at <= source.len())
        .collect();
    let start = *starts.get(line - 1).ok_or(EditError::NotABlock(line))?;
    let first = source[start..].lines().next().unwrap_or_default();
    if first.trim() != "[[rule]]" {
        return Err(EditError::NotABlock(line));
    }
    let end = starts[line..]
        .iter()
        .copied()
        .find(|at| {
            let text = source[*at..].lines().next().unwrap_or_default().trim();
            text.starts_with('[') && !text.starts_with("[rule.") && !text.starts_with("[[rule.")
        })
        .unwrap_or(source.len());
    Ok(format!("{}{}", &source[..start], &source[end..]))
}

/// A key as TOML writes it: bare when it can be, else quoted.
fn toml_key(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if bare {
        key.to_owned()
    } else {
        toml::Value::String(key.to_owned()).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn a_rule_appended_compiles_and_a_removed_one_is_gone() {
        let source =
            "# mine\n[[rule]]\nwhen.frame = 1\nthen.echo = true\n\n[default]\nthen.close = true\n";
        let source = append_rule(
            source,
            Some(("request kind", &Value::from("ping \"x\""))),
            &SimpleAction::ReplyText("pong {{seq}}".into()),
        );
        let source = append_rule(&source, Some(("n", &Value::from(7))), &SimpleAction::Close);
        let set = super::super::compile(Path::new("r.toml"), &source).unwrap();
        assert_eq!(set.rules().len(), 3);
        assert_eq!(
            set.rules()[1].when_text,
            "header request kind = \"ping \\\"x\\\"\""
        );
        assert_eq!(set.rules()[2].when_text, "header n = 7");
        let without_first = remove_rule(&source, &set.rules()[0]).unwrap();
        let set = super::super::compile(Path::new("r.toml"), &without_first).unwrap();
        assert_eq!(set.rules().len(), 2);
        assert!(set.default_rule().is_some());
        assert!(without_first.starts_with("# mine\n[default]"));
        let without_last = remove_rule(&without_first, &set.rules()[1]).unwrap();
        let set = super::super::compile(Path::new("r.toml"), &without_last).unwrap();
        assert_eq!(set.rules().len(), 1);
    }

    #[test]
    fn an_inline_rule_list_cannot_be_cut() {
        let source = "rule = [{ then.echo = true }]\n";
        let set = super::super::compile(Path::new("r.toml"), source).unwrap();
        assert!(remove_rule(source, &set.rules()[0]).is_err());
    }
}
