//! The JSON files a dataset may hold besides media: a source's `config.json` (the UI text of
//! its page), `.req.json` API-request stimuli and the root `providers.json`.

use serde_json::Value;

/// Keys of `config.json` that the platform reads.
pub const CONFIG_KEYS: &[&str] = &["title", "question", "description"];

/// The largest JSON file read; anything bigger is not a configuration.
pub const MAX_JSON_BYTES: u64 = 16 << 20;

/// A problem with a JSON file: an error (unusable) or a warning (probably a mistake).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonProblem {
    /// The file cannot be used.
    Error(String),
    /// The file is used, but something in it is probably a mistake.
    Warning(String),
}

/// Parses JSON text, with a message that points at the line and column of a syntax error.
pub fn parse(bytes: &[u8]) -> Result<Value, String> {
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes))
        .map_err(|_| "not UTF-8 text. Save it as UTF-8".to_string())?;
    serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))
}

/// Validates a source's `config.json`: an object whose `title` and `question` are strings and
/// whose `description` is a list of strings or of key/value objects (shown as tags).
pub fn validate_config(bytes: &[u8]) -> (Option<Value>, Vec<JsonProblem>) {
    let value = match parse(bytes) {
        Ok(v) => v,
        Err(e) => {
            return (
                None,
                vec![JsonProblem::Error(format!("{e}. Fix the file or remove it"))],
            );
        }
    };
    let Some(object) = value.as_object() else {
        return (
            None,
            vec![JsonProblem::Error(
                "must be a JSON object, like {\"title\": \"...\"}".to_string(),
            )],
        );
    };
    let mut problems = Vec::new();
    for key in ["title", "question"] {
        if let Some(v) = object.get(key) {
            if !v.is_string() {
                problems.push(JsonProblem::Error(format!(
                    "'{key}' must be a string, not {}",
                    kind(v)
                )));
            }
        }
    }
    if let Some(description) = object.get("description") {
        if let Err(why) = check_description(description) {
            problems.push(JsonProblem::Error(format!("'description' {why}")));
        }
    }
    for key in object.keys().filter(|k| !CONFIG_KEYS.contains(&k.as_str())) {
        problems.push(JsonProblem::Warning(format!(
            "unknown key '{key}': the platform reads only {}; check its spelling",
            CONFIG_KEYS.join(", ")
        )));
    }
    let usable = !problems.iter().any(|p| matches!(p, JsonProblem::Error(_)));
    (usable.then_some(value), problems)
}

fn check_description(value: &Value) -> Result<(), String> {
    let Some(items) = value.as_array() else {
        return Err(format!(
            "must be a list of strings or of key/value objects, not {}",
            kind(value)
        ));
    };
    for (i, item) in items.iter().enumerate() {
        match item {
            Value::String(_) => {}
            Value::Object(tags) => {
                if let Some((k, v)) = tags
                    .iter()
                    .find(|(_, v)| !(v.is_string() || v.is_number() || v.is_boolean()))
                {
                    return Err(format!(
                        "item {} has '{k}' set to {}; tag values must be text or numbers",
                        i + 1,
                        kind(v)
                    ));
                }
            }
            other => {
                return Err(format!(
                    "item {} is {}; use a string or a key/value object",
                    i + 1,
                    kind(other)
                ));
            }
        }
    }
    Ok(())
}

/// Validates a `.req.json` stimulus: a JSON object (the request the platform sends).
pub fn validate_request(bytes: &[u8]) -> Result<(), String> {
    match parse(bytes)? {
        Value::Object(_) => Ok(()),
        other => Err(format!(
            "must be a JSON object describing the request, not {}",
            kind(&other)
        )),
    }
}

/// Validates the root `providers.json`: a JSON object.
pub fn validate_providers(bytes: &[u8]) -> Result<(), String> {
    match parse(bytes)? {
        Value::Object(_) => Ok(()),
        other => Err(format!("must be a JSON object, not {}", kind(&other))),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_config_is_kept() {
        let (v, p) = validate_config(br#"{"title":"T","question":"Q?","description":["a",{"k":"v","n":2}]}"#);
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(v.unwrap()["title"], "T");
    }

    #[test]
    fn bad_configs_say_what_is_wrong() {
        let (v, p) = validate_config(b"{\"title\": 3}");
        assert!(v.is_none());
        assert_eq!(
            p,
            [JsonProblem::Error(
                "'title' must be a string, not a number".into()
            )]
        );
        let (v, p) = validate_config(b"[1]");
        assert!(v.is_none() && matches!(&p[..], [JsonProblem::Error(m)] if m.contains("object")));
        let (_, p) = validate_config(b"{\"title\": \"x\",");
        assert!(
            matches!(&p[..], [JsonProblem::Error(m)] if m.contains("line 1")),
            "{p:?}"
        );
        let (v, p) = validate_config(br#"{"titel":"x"}"#);
        assert!(v.is_some() && matches!(&p[..], [JsonProblem::Warning(m)] if m.contains("titel")));
        let (_, p) = validate_config(br#"{"description":[[1]]}"#);
        assert!(
            matches!(&p[..], [JsonProblem::Error(m)] if m.contains("item 1")),
            "{p:?}"
        );
    }

    #[test]
    fn requests_and_providers_must_be_objects() {
        assert!(validate_request(br#"{"url":"https://x"}"#).is_ok());
        assert!(validate_request(b"[]").is_err());
        assert!(
            validate_providers(b"nope")
                .unwrap_err()
                .contains("not valid JSON")
        );
    }
}
