//! Route target lists: a JSON list of strings, or one comma-separated string
//! (`"64512:1, 64512:2"`), as the original accepted for `import_rt` / `export_rt`.

use bagpipe_wire::RouteTarget;
use serde_json::Value;

use super::fields::Fields;
use super::RequestError;

/// The route targets at `key`; absent or `null` is an empty list. Empty items are skipped
/// and duplicates dropped (keeping the first), as the original did.
pub(crate) fn route_targets(fields: &Fields, key: &str) -> Result<Vec<RouteTarget>, RequestError> {
    let items: Vec<&str> = match fields.get(key) {
        None => Vec::new(),
        Some(Value::String(s)) => s.split(',').collect(),
        Some(Value::Array(list)) => list
            .iter()
            .map(|v| {
                v.as_str().ok_or_else(|| {
                    fields.error(
                        key,
                        "must be a list of route target strings like \"64512:1\"",
                    )
                })
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(fields.error(
                key,
                "must be a list of route targets or a comma-separated string",
            ))
        }
    };
    let mut rts = Vec::with_capacity(items.len());
    for item in items.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        let rt: RouteTarget = item
            .parse()
            .map_err(|e: bagpipe_wire::TextError| fields.error(key, e.to_string()))?;
        if !rts.contains(&rt) {
            rts.push(rt);
        }
    }
    Ok(rts)
}

/// Like [`route_targets`], for a parameter that must be there (it may be an empty list).
pub(crate) fn required_route_targets(
    fields: &Fields,
    key: &str,
) -> Result<Vec<RouteTarget>, RequestError> {
    if fields.get(key).is_none() {
        return Err(fields.error(key, "missing parameter"));
    }
    route_targets(fields, key)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn read(v: Value) -> Result<Vec<String>, RequestError> {
        let body = json!({ "rt": v });
        let fields = Fields::body(&body).unwrap();
        Ok(route_targets(&fields, "rt")?
            .iter()
            .map(|rt| rt.to_string())
            .collect())
    }

    #[test]
    fn list_and_comma_string_forms() {
        assert_eq!(
            read(json!(["64512:1", "64512:2"])).unwrap(),
            ["64512:1", "64512:2"]
        );
        assert_eq!(
            read(json!("64512:1, 64512:2")).unwrap(),
            ["64512:1", "64512:2"]
        );
        assert_eq!(
            read(json!("64512:1,,64512:2,")).unwrap(),
            ["64512:1", "64512:2"]
        );
        assert_eq!(read(json!("")).unwrap(), Vec::<String>::new());
        assert_eq!(read(json!([])).unwrap(), Vec::<String>::new());
        assert_eq!(read(Value::Null).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn duplicates_removed_like_the_original_unit_test() {
        // test_validate_convert_params_duplicate_rts: ['64512:1', '64512:1'] and
        // '64512:4, 64512:4' both collapse to one.
        assert_eq!(read(json!(["64512:1", "64512:1"])).unwrap(), ["64512:1"]);
        assert_eq!(read(json!("64512:4, 64512:4")).unwrap(), ["64512:4"]);
    }

    #[test]
    fn other_admin_forms() {
        assert_eq!(
            read(json!(["192.0.2.1:7", "4200000001:7", "target:64512:9"])).unwrap(),
            ["192.0.2.1:7", "4200000001:7", "64512:9"]
        );
    }

    #[test]
    fn bad_route_targets_name_the_field() {
        for bad in [
            json!(["64512"]),
            json!([64512]),
            json!("a:b"),
            json!(12),
            json!({}),
        ] {
            let err = read(bad.clone()).unwrap_err();
            assert_eq!(err.field, "rt", "{bad}");
        }
    }

    #[test]
    fn required_means_present() {
        let body = json!({ "other": 1 });
        let fields = Fields::body(&body).unwrap();
        let err = required_route_targets(&fields, "import_rt").unwrap_err();
        assert_eq!(err.field, "import_rt");
        assert_eq!(err.reason, "missing parameter");
    }
}
