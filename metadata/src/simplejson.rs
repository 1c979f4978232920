//! JSON text exactly as Python's `simplejson.dumps` writes it with default options
//! (`", "` and `": "` separators, `ensure_ascii`, Python float `repr`): the metadata files
//! and the `pandas` metadata plateau writes.

use plateau_core::{partition_value, Error, Result, Scalar};
use serde_json::{Map, Value as Json};

/// Writes `value` exactly as `simplejson.dumps(value)` does with default options.
pub fn write_simplejson(value: &Json, out: &mut String) -> Result<()> {
    match value {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.push_str(&i.to_string());
            } else if let Some(u) = n.as_u64() {
                out.push_str(&u.to_string());
            } else {
                let f = n.as_f64().ok_or_else(|| {
                    Error::invalid_input(format!("number {n} is not representable"))
                })?;
                let text = partition_value::format_value(&Scalar::Float(f))?;
                out.push_str(&String::from_utf8_lossy(&text));
            }
        }
        Json::String(s) => write_string(s, out),
        Json::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_simplejson(item, out)?;
            }
            out.push(']');
        }
        Json::Object(map) => write_map(map, out)?,
    }
    Ok(())
}

/// [`write_simplejson`] for an object.
pub fn write_map(map: &Map<String, Json>, out: &mut String) -> Result<()> {
    out.push('{');
    for (i, (key, item)) in map.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_string(key, out);
        out.push_str(": ");
        write_simplejson(item, out)?;
    }
    out.push('}');
    Ok(())
}

/// `ensure_ascii=True` string escaping: printable ASCII stays, `"` `\` and the five named
/// control characters get short escapes, everything else `\uXXXX` in lowercase hex.
pub fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
}
