//! Reads the VPN instances of each server from its looking glass.

use super::model::{Instance, Readvertise};
use crate::json::Json;

/// Fetches the looking-glass node at a path of a server: `Ok(None)` when there is no such
/// node (which the original treated as empty).
pub trait Source {
    type Error;
    fn node(&self, server: &str, path: &[&str]) -> Result<Option<Json>, Self::Error>;
}

/// The instances of each server, in the order of the servers and of the servers' lists.
pub fn instances<S: Source>(source: &S, servers: &[String]) -> Result<Vec<Instance>, S::Error> {
    let mut all = Vec::new();
    for server in servers {
        let Some(Json::Array(list)) = source.node(server, &["vpns", "instances"])? else {
            continue;
        };
        for summary in &list {
            let id = summary.get("id").and_then(Json::as_str);
            let name = summary.get("name").and_then(Json::as_str);
            if let (Some(id), Some(name)) = (id, name) {
                all.push(instance(source, server, id, name)?);
            }
        }
    }
    Ok(all)
}

fn instance<S: Source>(
    source: &S,
    server: &str,
    id: &str,
    name: &str,
) -> Result<Instance, S::Error> {
    let node = |sub: &[&str]| {
        let path: Vec<&str> = ["vpns", "instances", id]
            .iter()
            .chain(sub)
            .copied()
            .collect();
        source.node(server, &path)
    };
    let readvertise = match node(&["readvertise"])? {
        Some(r) if matches!(&r, Json::Object(e) if !e.is_empty()) => {
            // The original looked for `attract_traffic` inside `readvertise`, where the
            // looking glass never puts it, so it never drew it: it is a sibling node.
            let attract = node(&["attract_traffic"])?;
            Some(Readvertise {
                from_rts: strings(r.get("from")),
                to_rts: strings(r.get("to")),
                redirect_rts: strings(attract.as_ref().and_then(|a| a.get("redirect_rts"))),
            })
        }
        _ => None,
    };
    let ports = match node(&["ports"])? {
        Some(Json::Object(entries)) => entries.into_iter().map(|(port, _)| port).collect(),
        _ => Vec::new(),
    };
    let gateway = node(&["gateway_port", "ipvpn"])?;
    Ok(Instance {
        server: server.to_owned(),
        id: id.to_owned(),
        kind: name.chars().take(3).collect(),
        import_rts: strings(node(&["route_targets", "import"])?.as_ref()),
        export_rts: strings(node(&["route_targets", "export"])?.as_ref()),
        readvertise,
        ports,
        gateway_ipvpn: gateway
            .as_ref()
            .and_then(|g| g.get("external_instance_id"))
            .and_then(Json::as_str)
            .map(str::to_owned),
    })
}

/// The strings of a list node; nothing for anything else.
fn strings(list: Option<&Json>) -> Vec<String> {
    match list {
        Some(Json::Array(items)) => items
            .iter()
            .filter_map(Json::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}
